"""Constant folding of plain numbers gives the kernels' bits (the op table's value rules
evaluated in Python must agree with the compiled loops, last bit included)."""

import numpy as np
import pytest

import scalargraph as sg
from scalargraph import ops
from scalargraph.functions import fold

SPECIALS = [0.0, -0.0, 1.0, -1.0, 1e-310, 700.0, 710.0, -745.5, np.inf, -np.inf, np.nan]


def points(op, rng):
    xs = list(rng.uniform(-30, 30, 300)) + list(rng.uniform(-2, 2, 300)) + SPECIALS
    if op.kind == ops.UNARY:
        return [(x, 0.0) for x in xs]
    ys = list(rng.uniform(-4, 4, len(xs) - len(SPECIALS))) + SPECIALS[::-1]
    return list(zip(xs, ys))


@pytest.mark.parametrize("op", [op for op in ops.OPS if op.kind != ops.INPUT_KIND
                                and op.kind != ops.CONST_KIND], ids=lambda op: op.name)
def test_folded_numbers_equal_the_kernel_bit_for_bit(op):
    rng = np.random.default_rng(op.code)
    pts = points(op, rng)
    with sg.Graph():
        xs = sg.variables(len(pts))
        if op.kind == ops.BINARY:
            ys = sg.variables(len(pts), "y")
            outs = [sg.NodeArray(xs.graph, np.array(
                [sg.graph._record(xs.graph, op.code, int(a), int(b)).index
                 for a, b in zip(xs.indices, ys.indices)]))]
            inputs = list(xs) + list(ys)
            point = [p[0] for p in pts] + [p[1] for p in pts]
            tape = sg.compile(inputs, outs)
        else:
            outs = []
            for k, (x, y) in enumerate(pts):
                node = xs[k]
                if op.kind == ops.UNARY:
                    outs.append(sg.graph._record(xs.graph, op.code, node.index, -1))
                else:  # const_right: the constant is y
                    xs.graph.consts.append(y)
                    outs.append(sg.graph._record(xs.graph, op.code, node.index,
                                                 len(xs.graph.consts) - 1))
            tape = sg.compile(xs, outs)
            point = [p[0] for p in pts]
    with np.errstate(all="ignore"):
        got = tape(np.array(point))
        want = np.array([fold(op.code, x, y) for x, y in pts])
    # Bit for bit, except that a NaN's sign and payload carry no meaning (libm's log(-1) is
    # -nan, NumPy's +nan).
    differ = (got.view(np.int64) != want.view(np.int64)) & ~(np.isnan(got) & np.isnan(want))
    assert not differ.any(), [(pts[k], got[k], want[k]) for k in np.flatnonzero(differ)[:5]]
