"""Doors that once bypassed validation (issue: memory-safety doors): public constructors,
the in-@njit kernel, read-only inputs, and recorder folds that flipped zero signs.

Each test failed on the code before the fix: the constructors accepted any index and the
compiled loops then read outside the arrays; the kernel checked nothing; x + 0.0 was folded
to x.
"""

import math

import numba
import numpy as np
import pytest

import scalargraph as sg


@pytest.fixture
def small():
    with sg.Graph() as g:
        x = sg.var("x")
        y = sg.sin(x) * 2.0 + x
    return g, x, y


@pytest.mark.parametrize("index", [-1, 7, 99, 2**32 + 1, 2**40])
def test_node_constructors_refuse_indices_outside_the_graph(small, index):
    g, x, _ = small
    with pytest.raises(IndexError, match="not in the graph"):
        sg.Node(g, index)
    with pytest.raises(IndexError, match="not in the graph"):
        sg.NodeArray(g, [0, index])


@pytest.mark.parametrize("index", [True, 1.0, "1", None])
def test_node_constructors_refuse_what_is_not_an_int(small, index):
    g, _, _ = small
    with pytest.raises(TypeError):
        sg.Node(g, index)
    if index is not None:
        with pytest.raises((TypeError, IndexError)):
            sg.NodeArray(g, [index])


def test_constructed_nodes_inside_the_graph_work(small):
    g, x, y = small
    same = sg.Node(g, y.index)
    tape = sg.compile([x], [same, sg.NodeArray(g, [x.index, y.index]).sum()])
    v = 2 * math.sin(0.5) + 0.5
    assert tape([0.5]).tolist() == [v, 0.5 + v]
    assert sg.grad(sg.Node(g, y.index), x) is not None


def test_the_njit_kernel_checks_its_arguments():
    x = sg.var("x")
    t = sg.compile([x], [sg.sin(x), x * x])
    args = t.bind(0).args
    kernel = sg.value_and_gradient_kernel

    @numba.njit
    def call(args, x, g, output):
        op, arg0, arg1, consts, outputs, _, values, partials, adjoints = args
        return kernel(op, arg0, arg1, consts, outputs, output, values, partials, adjoints, x, g)

    g = np.empty(1)
    assert call(args, np.array([0.5]), g, 1) == 0.25 and g[0] == 1.0
    with pytest.raises(ValueError, match="one value per input"):
        call(args, np.array([0.5, 1.0]), np.empty(2), 0)          # x longer than the tape's
    with pytest.raises(ValueError, match="output index"):
        call(args, np.array([0.5]), g, 2)
    with pytest.raises(ValueError, match="output index"):
        call(args, np.array([0.5]), g, -1)
    with pytest.raises(ValueError, match="gradient"):
        call(args, np.array([0.5]), np.empty(0), 0)               # gradient too short
    other = sg.compile([sg.var("a"), sg.var("b")], [1.0]).bind(0).args
    with pytest.raises(ValueError):                                # another tape's x
        call(other, np.array([0.5]), g, 0)


def test_a_read_only_point_is_evaluated_like_a_writable_one():
    x = sg.var("x")
    t = sg.compile([x], [sg.exp(x)])
    p = np.array([0.25])
    p.flags.writeable = False
    assert t.gradient(p)[0] == math.exp(0.25) == t.gradient(np.array([0.25]))[0]
    # One kernel signature: the read-only point was copied, not compiled for.
    from scalargraph.kernels import sweeps
    assert all(not str(sig[-2]).startswith("readonly") for sig in sweeps.value_and_gradient.signatures)


@pytest.mark.parametrize("expr, at, want", [
    (lambda x: 1.0 / (0.0 - x), 0.0, math.inf),      # 0 - 0 = +0, while -(0) = -0
    (lambda x: 1.0 / (x + 0.0), -0.0, math.inf),     # -0 + 0 = +0
    (lambda x: 1.0 / (x - (-0.0)), -0.0, math.inf),  # = x + 0
    (lambda x: 1.0 / (x - 0.0), -0.0, -math.inf),    # = x + (-0): exact, may fold
    (lambda x: 1.0 / ((-0.0) - x), 0.0, -math.inf),  # = -x: exact, may fold
    (lambda x: 1.0 / (x + (-0.0)), -0.0, -math.inf),
])
def test_recorded_constants_keep_ieee_signed_zeros(expr, at, want):
    x = sg.var("x")
    assert sg.compile([x], [expr(x)])([at])[0] == want


def test_bind_takes_memmaps_and_writes_through_them(tmp_path):
    x = sg.var("x")
    f = sg.compile([x], [sg.exp(x)]).bind()
    xs = np.memmap(tmp_path / "x.bin", dtype=np.float64, mode="w+", shape=(1,))
    gs = np.memmap(tmp_path / "g.bin", dtype=np.float64, mode="w+", shape=(1,))
    xs[0] = 0.5
    assert f(xs, gs) == math.exp(0.5) and gs[0] == math.exp(0.5)
    gs.flush()
    assert np.fromfile(tmp_path / "g.bin")[0] == math.exp(0.5)
