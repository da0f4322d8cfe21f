"""Hand-written straight-line floors for the specialized tapes (benchmarks/bench_specialize.py).

Each is the same function as a benchmark workload, value and adjoints as local variables,
written by hand as the textbook does it: what ``Tape.specialize`` is measured against; and
the same functions as CasADi SX Functions (optional peer), called from Python
(:class:`CasadiValueAndGradient`). :mod:`scalargraph.bench.call_table` times them all.
"""

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def domke_value_and_gradient(x, g):
    """Prince problem 7.12: y = exp(f3) + sin(f3), f3 = e^x + e^{2x}; dy/dx into g[0]."""
    f1 = math.exp(x[0])
    f2 = f1 * f1
    f3 = f1 + f2
    f4 = math.exp(f3)
    y = f4 + math.sin(f3)
    d3 = f4 + math.cos(f3)
    g[0] = (d3 + d3 * 2.0 * f1) * f1
    return y


@njit(cache=True, nogil=True)
def toy_value_and_gradient(p, g):
    """The toy model's squared error (Prince eqs. 7.5-7.6) for one example:
    p = (b0, w0, b1, w1, b2, w2, b3, w3, x, y); gradient w.r.t. all ten into g."""
    b0, w0, b1, w1, b2, w2, b3, w3, x, y = p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], \
        p[8], p[9]
    f0 = b0 + w0 * x
    h1 = math.sin(f0)
    f1 = b1 + w1 * h1
    h2 = math.exp(f1)
    f2 = b2 + w2 * h2
    h3 = math.cos(f2)
    f3 = b3 + w3 * h3
    r = f3 - y
    dl_f3 = 2.0 * r
    dl_f2 = -dl_f3 * w3 * math.sin(f2)
    dl_f1 = dl_f2 * w2 * h2
    dl_f0 = dl_f1 * w1 * math.cos(f0)
    g[0] = dl_f0
    g[1] = dl_f0 * x
    g[2] = dl_f1
    g[3] = dl_f1 * h1
    g[4] = dl_f2
    g[5] = dl_f2 * h2
    g[6] = dl_f3
    g[7] = dl_f3 * h3
    g[8] = dl_f0 * w0
    g[9] = -dl_f3
    return r * r


@njit(cache=True, nogil=True)
def toy_rows(X, values, G):
    """``toy_value_and_gradient`` at every row of X (B, 10)."""
    for j in range(X.shape[0]):
        values[j] = toy_value_and_gradient(X[j], G[j])


def toy_numpy(X):
    """The toy model's loss and gradient at every row of X (B, 10), vectorized NumPy."""
    b0, w0, b1, w1, b2, w2, b3, w3, x, y = X.T
    f0 = b0 + w0 * x
    h1 = np.sin(f0)
    f1 = b1 + w1 * h1
    h2 = np.exp(f1)
    f2 = b2 + w2 * h2
    h3 = np.cos(f2)
    r = b3 + w3 * h3 - y
    dl_f3 = 2.0 * r
    dl_f2 = -dl_f3 * w3 * np.sin(f2)
    dl_f1 = dl_f2 * w2 * h2
    dl_f0 = dl_f1 * w1 * np.cos(f0)
    G = np.stack([dl_f0, dl_f0 * x, dl_f1, dl_f1 * h1, dl_f2, dl_f2 * h2, dl_f3, dl_f3 * h3,
                  dl_f0 * w0, -dl_f3], axis=1)
    return r * r, G


# Not cached: a function taking a dispatcher argument is compiled for that dispatcher.
@njit(nogil=True)
def repeat(kernel, x, g, calls):
    """``calls`` calls of ``kernel(x, g)`` from compiled code, the input nudged each time so
    that nothing is hoisted out of the loop; returns the sum of the values."""
    total = 0.0
    x0 = x[0]
    for i in range(calls):
        x[0] = x0 + 1e-12 * (i & 7)
        total += kernel(x, g)
    x[0] = x0
    return total


@njit(nogil=True)
def repeat_output(kernel, x, g, calls):
    """``repeat`` for a specialized tape's ``kernel(x, output, g)`` (output 0)."""
    total = 0.0
    x0 = x[0]
    for i in range(calls):
        x[0] = x0 + 1e-12 * (i & 7)
        total += kernel(x, 0, g)
    x[0] = x0
    return total


@njit(nogil=True)
def repeat_interpreter(kernel, args, x, g, calls):
    """``repeat`` for the interpreter's fused kernel (``sg.value_and_gradient_kernel``)."""
    op, arg0, arg1, consts, outputs, output, values, partials, adjoints = args
    total = 0.0
    x0 = x[0]
    for i in range(calls):
        x[0] = x0 + 1e-12 * (i & 7)
        total += kernel(op, arg0, arg1, consts, outputs, output, values, partials, adjoints,
                        x, g)
    x[0] = x0
    return total


# ---- CasADi (optional peer): the same functions as SX Functions ---------------------------
def _casadi_domke(ca, x):
    f1 = ca.exp(x[0])
    f3 = f1 + f1 * f1
    return ca.exp(f3) + ca.sin(f3)


def _casadi_toy(ca, p):
    b0, w0, b1, w1, b2, w2, b3, w3, x, y = (p[i] for i in range(10))
    r = b3 + w3 * ca.cos(b2 + w2 * ca.exp(b1 + w1 * ca.sin(b0 + w0 * x))) - y
    return r * r


CASADI_CASES = {"domke": (_casadi_domke, 1), "toy_model": (_casadi_toy, 10)}


class CasadiValueAndGradient:
    """A CasADi SX Function of ``case``'s value and gradient (``ca.gradient``), called two
    ways from Python: :meth:`plain` (``F(x)``, NumPy in, DM out) and :attr:`buffer_call`
    (``F.buffer()``: the arguments bound once as memoryviews, then a call with no
    arguments, CasADi's lowest-overhead call from Python). ``set_point(x)`` writes the
    bound input; ``value`` and ``gradient`` read the bound results.

    Raises ImportError when casadi is not installed (``pip install casadi``, or the
    ``peers`` extra).
    """

    def __init__(self, case, x):
        import casadi as ca
        build, n = CASADI_CASES[case]
        sym = ca.SX.sym("x", n)
        expr = build(ca, sym)
        self.function = ca.Function(case, [sym], [expr, ca.gradient(expr, sym)])
        self._x = np.array(x, dtype=np.float64)
        self._out = np.zeros(1 + n)
        buf, self.buffer_call = self.function.buffer()
        # The Function, the buffer and every memoryview must outlive the calls.
        self._views = [memoryview(self._x), memoryview(self._out[:1]),
                       memoryview(self._out[1:])]
        buf.set_arg(0, self._views[0])
        buf.set_res(0, self._views[1])
        buf.set_res(1, self._views[2])
        self._buf = buf

    def plain(self, x):
        """``F(x)``: ``[value, gradient]`` as CasADi DMs."""
        return self.function(x)

    def set_point(self, x):
        self._x[:] = x

    @property
    def value(self):
        return float(self._out[0])

    @property
    def gradient(self):
        return self._out[1:].copy()

