"""Random computational graphs over every op of the table, for the property-based tests.

A graph is grown node by node in a fresh :class:`scalargraph.Graph`. Each new node takes an
op drawn from ``ops.OPS`` (so a new op is drawn without editing this file) and operands
drawn from the op's ``domain`` (positive for log / sqrt / pow, nonzero for div ...), and is
kept only if the hand-written reference (``reference.py``) says that, at the drawn point:

* its value and local partials are finite and bounded (``VALUE_BOUND``, ``PARTIAL_BOUND``),
  and so is its gradient with respect to the inputs (``GRADIENT_BOUND``);
* for an op with a kink (``smooth=False``), no operand is within ``KINK_MARGIN`` of a kink:
  partials and value stay affine when an operand moves by the margin.

So every oracle applies: finite differences never straddle a kink, and a central difference
with ``h = cbrt(eps) * max(1, |x|)`` moves each operand by far less than the margin.
"""

import math

import numpy as np
from hypothesis import strategies as st

import scalargraph as sg
from scalargraph import ops
from scalargraph.graph import _record

import reference

VALUE_BOUND = 50.0
PARTIAL_BOUND = 20.0
GRADIENT_BOUND = 200.0
KINK_MARGIN = 0.05
DOMAIN_MARGIN = 0.25  # operands of log/sqrt/pow stay >= this; of div, |y| >= this
INPUT_RANGE = 2.0
CONST_RANGE = (0.25, 3.0)

# Surrogate ops (stop_gradient, link) are left out: their partials are not the derivative
# of their value, so central differences, one of the oracles every drawn graph must pass,
# cannot hold (tests/test_custom.py covers them).
COMPUTED_OPS = tuple(op for op in ops.OPS
                     if op.kind not in (ops.INPUT_KIND,) and not op.surrogate)
_DOMAIN_OK = {
    ops.REAL: lambda v: True,
    ops.POSITIVE: lambda v: v >= DOMAIN_MARGIN,
    ops.NONZERO: lambda v: abs(v) >= DOMAIN_MARGIN,
    ops.UNIT: lambda v: abs(v) <= 1.0 - DOMAIN_MARGIN,
    ops.ABOVE_ONE: lambda v: v >= 1.0 + DOMAIN_MARGIN,
    ops.ABOVE_MINUS_ONE: lambda v: v >= -1.0 + DOMAIN_MARGIN,
}


def _finite_bounded(values, bound):
    return all(math.isfinite(v) and abs(v) <= bound for v in values)


def away_from_kinks(name, operands, constant):
    """True when op ``name`` is affine within KINK_MARGIN of ``operands`` in every slot."""
    def at(args):
        full = list(args) + [constant] * (2 - len(args))
        return reference.op_value(name, *full), reference.op_partials(name, *full)

    if name in reference.PIECES:  # curved pieces: the same piece within the margin
        piece = reference.PIECES[name]
        here = piece(*(list(operands) + [constant] * (2 - len(operands))))
        for slot in range(len(operands)):
            for sign in (-1.0, 1.0):
                moved = list(operands) + [constant] * (2 - len(operands))
                moved[slot] += sign * KINK_MARGIN
                if piece(*moved) != here:
                    return False
        return True

    z0, p0 = at(operands)
    for slot in range(len(operands)):
        for sign in (-1.0, 1.0):
            moved = list(operands)
            moved[slot] += sign * KINK_MARGIN
            z, p = at(moved)
            if p != p0:
                return False
            if abs(z - (z0 + sign * KINK_MARGIN * p0[slot])) > 1e-9 * (1.0 + abs(z0)):
                return False
    return True


class _Builder:
    """Grows one random graph; ``choose`` supplies the randomness (hypothesis or NumPy)."""

    def __init__(self, choose, x, track_gradients, require=None):
        self.choose = choose
        self.require, self.required = require, None
        self.graph = sg.Graph()
        self.n_inputs = len(x)
        self.track = track_gradients
        with self.graph:
            self.nodes = [sg.var(f"x{i}") for i in range(len(x))]
        self.values = list(x)
        self.grads = [[1.0 if j == i else 0.0 for j in range(len(x))] for i in range(len(x))]

    def candidates(self, op):
        ok = _DOMAIN_OK[op.domain]
        return [i for i, v in enumerate(self.values) if ok(v)]

    def _pick(self, pool, slot):
        # The first operand is often one of the newest candidates, so that graphs grow deep;
        # the second often an input, so that derivatives reach the deep nodes from many inputs.
        roll = self.choose.integer(0, 9)
        if slot == 0 and roll < 5:
            return pool[-1 - self.choose.integer(0, min(3, len(pool)) - 1)]
        if roll < 3 and pool[0] < self.n_inputs:
            inputs = [p for p in pool if p < self.n_inputs]
            return inputs[self.choose.integer(0, len(inputs) - 1)]
        return pool[self.choose.integer(0, len(pool) - 1)]

    def try_add(self, op):
        """Draw operands for ``op`` and append the node if it passes the checks."""
        if op.kind == ops.CONST_KIND:
            return self._append(op, (), self.choose.floating(-3.0, 3.0))
        pool = self.candidates(op)
        if not pool:
            return False
        parents = [self._pick(pool, slot) for slot in range(op.arity)]
        constant = 0.0
        if op.kind == ops.CONST_RIGHT:
            constant = self.choose.floating(*CONST_RANGE)
            if self.choose.boolean():
                constant = -constant
            # A negative constant may leave the op's domain (e.g. (-2) ** x): try it positive.
            return self._append(op, parents, constant) or self._append(op, parents, -constant)
        return self._append(op, parents, constant)

    def _append(self, op, parents, constant):
        operands = [self.values[p] for p in parents]
        if op.kind == ops.CONST_KIND:
            z, partials = constant, (0.0, 0.0)
        else:
            full = operands + [constant] * (2 - len(operands))
            z = reference.op_value(op.name, *full)
            partials = reference.op_partials(op.name, *full)
        if not (_finite_bounded([z], VALUE_BOUND) and _finite_bounded(partials, PARTIAL_BOUND)):
            return False
        if not op.smooth and not away_from_kinks(op.name, operands, constant):
            return False
        if self.track:
            grad = [0.0] * self.n_inputs
            for p, d in zip(parents, partials):
                grad = [g + d * pg for g, pg in zip(grad, self.grads[p])]
            if not _finite_bounded(grad, GRADIENT_BOUND):
                return False
            self.grads.append(grad)
        self.values.append(z)
        self.nodes.append(self._record(op, parents, constant))
        if self.required is None and op is self.require:
            self.required = self.nodes[-1]
        return True

    def _record(self, op, parents, constant):
        g = self.graph
        if op.kind == ops.CONST_KIND:
            g.consts.append(constant)
            return _record(g, op.code, len(g.consts) - 1, -1)
        a = self.nodes[parents[0]].index
        if op.kind == ops.UNARY:
            return _record(g, op.code, a, -1)
        if op.kind == ops.BINARY:
            return _record(g, op.code, a, self.nodes[parents[1]].index)
        g.consts.append(constant)
        return _record(g, op.code, a, len(g.consts) - 1)


class _HypothesisChoice:
    def __init__(self, draw):
        self.draw = draw

    def integer(self, lo, hi):
        return self.draw(st.integers(lo, hi))

    def floating(self, lo, hi):
        return self.draw(st.floats(lo, hi, allow_nan=False, allow_infinity=False))

    def boolean(self):
        return self.draw(st.booleans())


class _NumpyChoice:
    def __init__(self, rng):
        self.rng = rng

    def integer(self, lo, hi):
        return int(self.rng.integers(lo, hi + 1))

    def floating(self, lo, hi):
        return float(self.rng.uniform(lo, hi))

    def boolean(self):
        return bool(self.rng.integers(0, 2))


def _grow(choose, x, n_nodes, op_pool, require, track_gradients):
    builder = _Builder(choose, x, track_gradients, require)
    if require is not None:
        # Put the required op in early (so later nodes may depend on it); fall back to
        # retrying it after every other node until it fits.
        builder.try_add(require)
    attempts = 0
    while len(builder.nodes) < builder.n_inputs + n_nodes and attempts < 4 * n_nodes:
        attempts += 1
        op = op_pool[choose.integer(0, len(op_pool) - 1)]
        builder.try_add(op)
        if require is not None and builder.required is None:
            builder.try_add(require)
    return builder


def _compile(builder, choose, n_outputs, permutation):
    nodes = builder.nodes
    outputs = [nodes[-1]]  # the newest node, so the graph is usually deep
    if builder.required is not None:
        outputs.append(builder.required)  # keep the required op alive through compile
    for _ in range(n_outputs - 1):
        outputs.append(nodes[choose.integer(0, len(nodes) - 1)])
    inputs = [nodes[p] for p in permutation]
    tape = sg.compile(inputs, outputs)
    x = np.array([builder.values[p] for p in permutation])
    return tape, x


@st.composite
def dags(draw, max_inputs=4, max_nodes=20, max_outputs=3, require=None):
    """A strategy for ``(tape, x)``: a compiled random DAG and a point where every oracle holds.

    Parameters
    ----------
    max_inputs, max_nodes, max_outputs : int
        Bounds on the graph drawn (nodes besides the inputs; dead ones are dropped by compile).
    require : ops.Op, optional
        An op the graph should contain, as an ancestor of an output, when it fits the drawn
        point; tests that need it check ``tape.op_counts()``.
    """
    choose = _HypothesisChoice(draw)
    n = draw(st.integers(1, max_inputs))
    x = [draw(st.floats(-INPUT_RANGE, INPUT_RANGE, allow_nan=False)) for _ in range(n)]
    n_nodes = draw(st.integers(1, max_nodes))
    builder = _grow(choose, x, n_nodes, COMPUTED_OPS, require, track_gradients=True)
    permutation = draw(st.permutations(range(n)))
    return _compile(builder, choose, draw(st.integers(1, max_outputs)), permutation)


def random_tape(rng, n_inputs, n_nodes, n_outputs, track_gradients=False):
    """A large random ``(tape, x)`` from a NumPy generator (no hypothesis, no shrinking).

    Values and local partials are bounded, and kinks kept at a margin, as in :func:`dags`.
    Gradients are bounded only with ``track_gradients`` (O(n_inputs) Python work per node);
    without it, use AD-vs-AD or dual-number oracles, not finite differences.
    Output k is the sum of every n_outputs-th node from k on, so every node is live.
    """
    choose = _NumpyChoice(rng)
    x = list(rng.uniform(-INPUT_RANGE, INPUT_RANGE, n_inputs))
    builder = _grow(choose, x, n_nodes, COMPUTED_OPS, None, track_gradients)
    with builder.graph:
        outputs = [sum(builder.nodes[k::n_outputs]) for k in range(n_outputs)]
    permutation = list(rng.permutation(n_inputs))
    tape = sg.compile([builder.nodes[p] for p in permutation], outputs)
    return tape, np.array([builder.values[p] for p in permutation])


def describe(tape, x):
    """The tape as readable lines (``3 = sin(1)``), for hypothesis to print with a failure."""
    lines = [f"x = {list(map(float, x))!r}, outputs = {tape.outputs.tolist()}"]
    for i, code in enumerate(tape.op):
        op = ops.BY_CODE[int(code)]
        a, b = int(tape.arg0[i]), int(tape.arg1[i])
        if op.kind == ops.INPUT_KIND:
            args = f"x[{a}]"
        elif op.kind == ops.CONST_KIND:
            args = repr(float(tape.consts[a]))
        elif op.kind == ops.UNARY:
            args = f"{a}"
        elif op.kind == ops.BINARY:
            args = f"{a}, {b}"
        else:
            args = f"{a}, const {float(tape.consts[b])!r}"
        lines.append(f"{i} = {op.name}({args})")
    return "\n".join(lines)
