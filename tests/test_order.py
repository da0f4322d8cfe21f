"""Depth-first node order at compile time: the same bits in every sweep, index() still finds
every node, and the locality figures on graphs whose answer is known by hand.

Oracle: the same graph compiled in recording order (every result compared bit for bit).
"""

import numpy as np
import pytest

import scalargraph as sg
from scalargraph import order


def _random_graph(rng, n_inputs, n_nodes, n_outputs):
    """A random graph mixing scalar steps and NumPy-style elementwise steps (breadth-first
    records), with shared nodes read by many children, in a fresh graph."""
    g = sg.Graph()
    with g:
        xs = list(sg.variables(n_inputs))
        nodes = list(xs)
        while len(nodes) < n_nodes:
            kind = rng.integers(0, 6)
            a = nodes[rng.integers(0, len(nodes))]
            b = nodes[rng.integers(max(0, len(nodes) - 30), len(nodes))]
            if kind == 0:
                nodes.append(a * b)
            elif kind == 1:
                nodes.append(sg.sin(a) + b)
            elif kind == 2:
                nodes.append(sg.tanh(a - b) * 0.5)
            elif kind == 3:
                nodes.append(a * a + 1.0)
            elif kind == 4:  # an elementwise step over a slice of nodes
                k = min(8, len(nodes))
                picks = [nodes[j] for j in rng.integers(0, len(nodes), k)]
                nodes.extend(sg.tanh(p * q) for p, q in zip(picks, picks[1:]))
            else:
                nodes.append(sg.maximum(a, b) - sg.exp(-b * b))
        outputs = [sum(nodes[k::n_outputs]) for k in range(n_outputs)]
    x = rng.uniform(-1.0, 1.0, n_inputs)
    return xs, outputs, nodes, x


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("seed", range(5))
def test_depth_first_gives_the_same_bits_everywhere(seed):
    rng = np.random.default_rng(seed)
    xs, outs, nodes, x = _random_graph(rng, 5, 300, 2)
    rec = sg.compile(xs, outs, order="record")
    dfs = sg.compile(xs, outs, order="depth_first")
    assert not np.array_equal(rec.op, dfs.op) or not np.array_equal(rec.arg0, dfs.arg0)
    v, w = rng.uniform(-1, 1, 5), np.array([0.7, -1.3])
    X = rng.uniform(-1, 1, (7, 5))
    for call in (lambda t: t(x), lambda t: t.gradient(x, output=1),
                 lambda t: t.value_and_gradient(x, output=0), lambda t: t.vjp(x, w),
                 lambda t: t.jvp(x, v), lambda t: t.hvp(x, v, output=0),
                 lambda t: t.gradient(x, output=0, checkpoints=4),
                 lambda t: t.jacobian(x, mode="forward"), lambda t: t.jacobian(x, mode="reverse"),
                 lambda t: t.gradient(X, output=1), lambda t: t.hessian(x, output=1)):
        a, b = call(rec), call(dfs)
        if isinstance(a, tuple):
            assert all(_same(p, q) for p, q in zip(a, b))
        else:
            assert _same(a, b)
    # every node is where index() says, in both orders
    vr, vd = rec.values(x), dfs.values(x)
    for node in nodes[::7]:
        try:
            i = rec.index(node)
        except ValueError:
            continue
        assert _same(vr[i], vd[dfs.index(node)])
    ar, ad = rec.adjoints(x, output=0), dfs.adjoints(x, output=0)
    for node in nodes[5::11]:
        try:
            i = rec.index(node)
        except ValueError:
            continue
        assert _same(ar[i], ad[dfs.index(node)])


def test_cse_then_depth_first_keeps_merged_nodes_findable():
    rng = np.random.default_rng(11)
    with sg.Graph():
        xs = sg.variables(4)
        a = [sg.sin(xs[i] * xs[(i + 1) % 4]) for i in range(4)]
        b = [sg.sin(xs[i] * xs[(i + 1) % 4]) for i in range(4)]  # merged into a by CSE
        f = sum(p * q for p, q in zip(a, b))
        rec = sg.compile(xs, [f], cse=True, order="record")
        dfs = sg.compile(xs, [f], cse=True, order="depth_first")
    x = rng.uniform(-1, 1, 4)
    assert _same(rec.gradient(x), dfs.gradient(x))
    vr, vd = rec.values(x), dfs.values(x)
    for node in a + b:
        assert _same(vr[rec.index(node)], vd[dfs.index(node)])
        assert dfs.index(node) == dfs.index(a[b.index(node)] if node in b else node)


def test_wide_sum_locality_by_hand():
    n = 1000
    with sg.Graph():
        xs = sg.variables(n)
        f = sum(np.sin(xs[:-1] * xs[1:]))  # records n-1 products, then n-1 sines, then adds
        rec = sg.compile(xs, [f], order="record")
        auto = sg.compile(xs, [f])
    # recording order: every product and sine waits for the sum: n - 1 alive at the peak
    assert order.locality(rec)["max_live"] == n - 1
    # depth-first: product, sine, add, one term after another: at most 2 alive at once
    assert order.locality(auto)["max_live"] <= 2
    assert order.locality(auto)["mean_distance"] < 2.0
    x = np.random.default_rng(0).uniform(-1, 1, n)
    (v1, g1), (v2, g2) = rec.value_and_gradient(x), auto.value_and_gradient(x)
    assert _same(v1, v2) and _same(g1, g2)


def test_chain_is_left_alone_and_bad_order_refused():
    with sg.Graph():
        x = sg.var("x")
        h = x
        for _ in range(50):
            h = sg.sin(h) * 0.9 + 0.1
        rec = sg.compile([x], [h], order="record")
        auto = sg.compile([x], [h])
        assert order.locality(rec) == {"mean_distance": 1.0, "max_live": 1}
        assert np.array_equal(rec.op, auto.op) and np.array_equal(rec.arg0, auto.arg0)
        with pytest.raises(ValueError, match="order must be one of"):
            sg.compile([x], [h], order="bfs")
