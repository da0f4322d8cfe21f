"""Hand-written straight-line floors for the specialized tapes (benchmarks/bench_specialize.py).

Each is the same function as a benchmark workload, value and adjoints as local variables,
written by hand as the textbook does it: what ``Tape.specialize`` is measured against.
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
