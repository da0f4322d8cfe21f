"""Any benchmark tape as CasADi SX Functions, node for node (CasADi is optional).

The peer table (:mod:`scalargraph.bench.peer_table`) times CasADi on the *same graph* as the
tape: each tape node becomes one SX operation in tape order (CasADi then sorts it its own
way, depth-first, when it makes the Function). So no workload needs a second, hand-made
CasADi builder that could drift from the one scalargraph records.

Two ways to call each Function are kept, as CasADi's users call them: the plain call
``F(x)`` (a NumPy array in, DM out: conversions both ways, argument checks) and the buffer
call ``F.buffer()`` (memoryviews bound once, then a bare call: CasADi's lowest overhead).
"""

import numpy as np

# Tape op name -> SX rule. Only ops the benchmark workloads use plus the common ones; another
# op raises NotImplementedError (the table then leaves CasADi out for that workload).
def _unary(ca):
    return {"neg": lambda x: -x, "exp": ca.exp, "log": ca.log, "sin": ca.sin, "cos": ca.cos,
            "tan": ca.tan, "sqrt": ca.sqrt, "tanh": ca.tanh, "abs": ca.fabs,
            "sigmoid": lambda x: 1 / (1 + ca.exp(-x)), "square": lambda x: x * x,
            "sinh": ca.sinh, "cosh": ca.cosh, "asin": ca.asin, "acos": ca.acos,
            "atan": ca.atan, "erf": ca.erf, "stop_gradient": lambda x: x}


_BINARY = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y,
           "mul": lambda x, y: x * y, "div": lambda x, y: x / y, "pow": lambda x, y: x ** y}
_CONST_RIGHT = {"add_const": lambda x, c: x + c, "rsub_const": lambda x, c: c - x,
                "mul_const": lambda x, c: x * c, "div_const": lambda x, c: x / c,
                "rdiv_const": lambda x, c: c / x, "pow_const": lambda x, c: x ** c}


def casadi_expression(tape):
    """``(X, expr)``: SX symbols of the tape's inputs and its first output as an SX
    expression built node for node.

    Raises ImportError without casadi, NotImplementedError for an op with no rule here.
    Cost: a few microseconds of Python per node, and CasADi's ~0.5 KB per SX node.
    """
    import casadi as ca

    from .. import ops
    unary = _unary(ca)
    n_in = tape.n_inputs
    X = ca.SX.sym("x", n_in)
    vals = ca.vertsplit(X) if n_in > 1 else [X]
    op, a0, a1 = tape.op.tolist(), tape.arg0.tolist(), tape.arg1.tolist()
    consts = tape.consts.tolist()
    for i in range(n_in, tape.n_nodes):
        rec = ops.BY_CODE[op[i]]
        name = rec.name
        if rec.kind == ops.Kind.CONST:
            v = ca.SX(consts[a0[i]])
        elif rec.kind == ops.Kind.UNARY and name in unary:
            v = unary[name](vals[a0[i]])
        elif rec.kind == ops.Kind.BINARY and name in _BINARY:
            v = _BINARY[name](vals[a0[i]], vals[a1[i]])
        elif rec.kind == ops.Kind.CONST_RIGHT and name in _CONST_RIGHT:
            v = _CONST_RIGHT[name](vals[a0[i]], consts[a1[i]])
        else:
            raise NotImplementedError(f"no CasADi rule for op {name!r}")
        vals.append(v)
    return X, vals[int(tape.outputs[0])]


class CasadiCalls:
    """CasADi Functions of a tape's first output: value, value + gradient, one JVP.

    Attributes (zero-argument callables at the point ``x`` and direction ``v``)
    ----------
    plain_forward, plain_value_and_gradient, plain_jvp
        ``F(x)``-style calls: NumPy in, DM out.
    buffer_forward, buffer_value_and_gradient, buffer_jvp
        ``F.buffer()`` calls writing into ``value``, ``gradient``, ``tangent``.
    value, gradient, tangent : ndarray
        Where the buffer calls write (value (1,), gradient (n_inputs,), tangent (1,)).
    build_seconds : float
        Seconds to build the SX graph, the gradient and the three Functions.
    """

    def __init__(self, tape, x, v=None):
        import time

        import casadi as ca
        t0 = time.perf_counter()
        X, expr = casadi_expression(tape)
        V = ca.SX.sym("v", tape.n_inputs)
        self._f = ca.Function("f", [X], [expr])
        self._g = ca.Function("g", [X], [expr, ca.gradient(expr, X)])
        self._j = ca.Function("j", [X, V], [ca.jtimes(expr, X, V)])
        self.build_seconds = time.perf_counter() - t0
        self.x = np.ascontiguousarray(x, dtype=np.float64)
        self.v = np.ones(tape.n_inputs) if v is None else np.ascontiguousarray(v, np.float64)
        self.value, self.tangent = np.zeros(1), np.zeros(1)
        self.gradient = np.zeros(tape.n_inputs)
        f, g, j, xx, vv = self._f, self._g, self._j, self.x, self.v
        self.plain_forward = lambda: f(xx)
        self.plain_value_and_gradient = lambda: g(xx)
        self.plain_jvp = lambda: j(xx, vv)
        # The buffers hold memoryviews of our arrays; keep every one alive with self.
        self._keep = []
        self.buffer_forward = self._bind(f, [xx], [self.value])
        self.buffer_value_and_gradient = self._bind(g, [xx], [self.value, self.gradient])
        self.buffer_jvp = self._bind(j, [xx, vv], [self.tangent])

    def _bind(self, fn, args, results):
        buf, call = fn.buffer()
        views = [memoryview(a) for a in args] + [memoryview(r) for r in results]
        for i in range(len(args)):
            buf.set_arg(i, views[i])
        for i in range(len(results)):
            buf.set_res(i, views[len(args) + i])
        self._keep.append((buf, views))
        return call
