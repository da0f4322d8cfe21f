"""Batches, data inputs, vectorized builders and the hot-loop path (issue: scale).

Oracles: the single-point sweeps (a separate generated kernel), closed forms of the toy
model (Prince eq. 7.5 / 7.7), and NumPy evaluating the same expression vectorized.
"""

import numba
import numpy as np
import pytest

import scalargraph as sg
from scalargraph import batch

RTOL = 1e-13  # batched vs single-point: the same arithmetic in another loop order


def toy_model():
    """Prince eq. 7.5 with least-squares loss (eq. 7.6): params phi, data x, y."""
    phi = sg.variables(8, "phi")
    x, y = sg.var("x"), sg.var("y")
    b0, w0, b1, w1, b2, w2, b3, w3 = phi
    f = b3 + w3 * sg.cos(b2 + w2 * sg.exp(b1 + w1 * sg.sin(b0 + w0 * x)))
    return sg.compile(phi, (f - y) ** 2, data=[x, y])


def toy_closed_form(p, x, y):
    """Loss and its eight partials by hand (Prince eqs. 7.7-7.15), vectorized over x, y."""
    b0, w0, b1, w1, b2, w2, b3, w3 = p
    f0 = b0 + w0 * x
    h1 = np.sin(f0)
    f1 = b1 + w1 * h1
    h2 = np.exp(f1)
    f2 = b2 + w2 * h2
    h3 = np.cos(f2)
    f3 = b3 + w3 * h3
    dl_df3 = 2 * (f3 - y)
    dl_df2 = dl_df3 * w3 * -np.sin(f2)
    dl_df1 = dl_df2 * w2 * h2
    dl_df0 = dl_df1 * w1 * np.cos(f0)
    grads = np.stack([dl_df0, dl_df0 * x, dl_df1, dl_df1 * h1, dl_df2, dl_df2 * h2,
                      dl_df3, dl_df3 * h3], axis=1)
    return (f3 - y) ** 2, grads


@pytest.fixture
def data():
    rng = np.random.default_rng(7)
    p = rng.normal(size=8) * 0.5
    x = rng.uniform(-1, 1, 3000)
    y = np.sin(2 * x) + 0.1 * rng.normal(size=3000)
    return p, x, y


def test_batched_values_and_gradients_match_single_points(data):
    p, x, y = data
    tape = toy_model()
    X = np.column_stack([np.broadcast_to(p, (x.size, 8)), x, y])
    values = tape(X)
    grads = tape.gradient(X)
    assert values.shape == (x.size, 1) and grads.shape == (x.size, 10)
    for r in (0, 1, 1234, x.size - 1):
        np.testing.assert_allclose(values[r], tape(X[r]), rtol=RTOL)
        np.testing.assert_allclose(grads[r], tape.gradient(X[r]), rtol=RTOL, atol=1e-300)


def test_batched_node_values_match_single_points(data):
    p, x, y = data
    tape = toy_model()
    X = np.column_stack([np.broadcast_to(p, (x.size, 8)), x, y])[:50]
    every = tape.values(X)
    assert every.shape == (50, tape.n_nodes)
    for r in (0, 17, 49):
        np.testing.assert_allclose(every[r], tape.values(X[r]), rtol=RTOL)


def test_per_example_gradients_match_closed_form(data):
    p, x, y = data
    tape = toy_model()
    X = np.column_stack([np.broadcast_to(p, (x.size, 8)), x, y])
    loss, grads = toy_closed_form(p, x, y)
    np.testing.assert_allclose(tape(X)[:, 0], loss, rtol=1e-12)
    np.testing.assert_allclose(tape.gradient(X)[:, :8], grads, rtol=1e-9, atol=1e-12)


def test_loss_and_gradient_is_the_minibatch_mean(data):
    p, x, y = data
    tape = toy_model()
    loss, grads = toy_closed_form(p, x, y)
    value, grad = tape.loss_and_gradient(p, np.column_stack([x, y]))
    np.testing.assert_allclose(value, loss.mean(), rtol=1e-12)
    np.testing.assert_allclose(grad, grads.mean(axis=0), rtol=1e-9, atol=1e-12)
    total, grad_sum = tape.loss_and_gradient(p, np.column_stack([x, y]), reduce="sum")
    np.testing.assert_allclose(total, loss.sum(), rtol=1e-12)
    np.testing.assert_allclose(grad_sum, grads.sum(axis=0), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_chunks_and_threads_do_not_change_the_sum(data, monkeypatch, workers):
    p, x, y = data
    tape = toy_model()
    D = np.column_stack([x, y])
    reference = tape.loss_and_gradient(p, D, workers=1)
    monkeypatch.setattr(batch, "MAX_CHUNK", 97)  # many uneven chunks
    value, grad = tape.loss_and_gradient(p, D, workers=workers)
    np.testing.assert_allclose(value, reference[0], rtol=1e-13)
    np.testing.assert_allclose(grad, reference[1], rtol=1e-12, atol=1e-15)
    again = tape.loss_and_gradient(p, D, workers=workers)
    assert again[0] == value and np.array_equal(again[1], grad)  # deterministic order


def test_gradient_sum_equals_sum_of_gradients():
    rng = np.random.default_rng(3)
    xs = sg.variables(4)
    f = sg.sum(sg.tanh(xs * xs[::-1]) + sg.softplus(xs))
    tape = sg.compile(xs, f)
    X = rng.normal(size=(500, 4))
    value, grad = tape.gradient_sum(X)
    np.testing.assert_allclose(value, tape(X).sum(), rtol=1e-13)
    np.testing.assert_allclose(grad, tape.gradient(X).sum(axis=0), rtol=1e-12)


def test_sgd_on_the_toy_model_reduces_the_loss(data):
    p, x, y = data
    tape = toy_model()
    D = np.column_stack([x, y])
    start = tape.loss_and_gradient(p, D)[0]
    rng = np.random.default_rng(0)
    for _ in range(300):
        rows = rng.integers(0, len(D), 64)
        _, g = tape.loss_and_gradient(p, D[rows])
        p = p - 0.05 * g
    assert tape.loss_and_gradient(p, D)[0] < 0.5 * start


def test_batch_errors_say_what_shape_was_expected():
    tape = toy_model()
    with pytest.raises(ValueError, match=r"\(points, 10\)"):
        tape(np.zeros((3, 9)))
    with pytest.raises(ValueError, match=r"\(examples, 2\)"):
        tape.loss_and_gradient(np.zeros(8), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="8"):
        tape.loss_and_gradient(np.zeros(7), np.zeros((5, 2)))
    with pytest.raises(ValueError, match="reduce"):
        tape.loss_and_gradient(np.zeros(8), np.zeros((5, 2)), reduce="max")
    with pytest.raises(ValueError, match="workers"):
        tape(np.zeros((5000, 10)), workers=0)
    x = sg.var("x")
    plain = sg.compile([x], [x * x])
    with pytest.raises(ValueError, match="data="):
        plain.loss_and_gradient([1.0], np.zeros((3, 1)))


# ---- vectorized builders --------------------------------------------------------------------

def test_dense_network_matches_numpy():
    rng = np.random.default_rng(11)
    x = sg.variables(6)
    Ws = [rng.normal(size=(5, 6)), rng.normal(size=(4, 5))]
    bs = [rng.normal(size=5), rng.normal(size=4)]
    h = sg.relu(sg.dense(Ws[0], x, bs[0]))
    out = sg.tanh(Ws[1] @ h + bs[1])
    tape = sg.compile(x, out)
    v = rng.normal(size=6)
    expected = np.tanh(Ws[1] @ np.maximum(Ws[0] @ v + bs[0], 0) + bs[1])
    np.testing.assert_allclose(tape(v), expected, rtol=1e-13)
    # Same graph written with object arrays of single nodes: same node count, same values.
    with sg.Graph():
        xo = np.array([sg.var() for _ in range(6)], dtype=object)
        ho = sg.relu(Ws[0] @ xo + bs[0])
        oo = np.tanh(Ws[1] @ ho + bs[1])
        tape_o = sg.compile(list(xo), list(oo))
    assert tape_o.n_nodes == tape.n_nodes
    np.testing.assert_array_equal(tape_o(v), tape(v))
    np.testing.assert_array_equal(tape_o.jacobian(v), tape.jacobian(v))


def test_node_array_arithmetic_and_reductions():
    rng = np.random.default_rng(5)
    a, b = sg.variables(3, "a"), sg.variables(3, "b")
    outs = [sg.dot(a, b), sg.sum(a / b), sg.sum(2.0 - a), sg.sum(a ** 3), sg.sum(2.0 ** a),
            sg.sum(sg.maximum(a, b)), sg.sum(sg.leaky_relu(a, 0.2)), sg.sum(-abs(a) + 1.5 * b),
            sg.sum(a - np.array([1.0, 2.0, 3.0])), sg.sum(np.exp(a) * np.sin(b))]
    tape = sg.compile(list(a) + list(b), outs)
    va, vb = rng.uniform(0.5, 2, 3), rng.uniform(0.5, 2, 3)
    expected = [va @ vb, (va / vb).sum(), (2 - va).sum(), (va ** 3).sum(), (2.0 ** va).sum(),
                np.maximum(va, vb).sum(), np.where(va > 0, va, 0.2 * va).sum(),
                (-abs(va) + 1.5 * vb).sum(), (va - [1, 2, 3]).sum(), (np.exp(va) * np.sin(vb)).sum()]
    np.testing.assert_allclose(tape(np.concatenate([va, vb])), expected, rtol=1e-13)
    assert tape.input_names[:] == ["a0", "a1", "a2", "b0", "b1", "b2"]


def test_node_array_indexing_gives_nodes_of_the_same_graph():
    a = sg.variables(4)
    assert isinstance(a[1], sg.Node) and a[1].name == "x1"
    assert isinstance(a[1:3], sg.NodeArray) and a[1:3].shape == (2,)
    assert [n.index for n in a] == list(a.indices)
    with pytest.raises(TypeError, match="truth value"):
        bool(a)
    with sg.Graph():
        other = sg.variables(4)
    with pytest.raises(ValueError, match="another graph"):
        a + other


def test_million_node_network_builds_and_differentiates():
    # 20 layers x 100 units by vectorized builders: ~4 * 10^5 nodes, no per-node Python.
    rng = np.random.default_rng(2)
    x = sg.variables(100)
    h = x
    Ws = [rng.normal(size=(100, 100)) * np.sqrt(2 / 100) for _ in range(20)]
    for W in Ws:
        h = sg.relu(W @ h)
    tape = sg.compile(x, sg.sum(h))
    assert tape.n_nodes > 4 * 10 ** 5
    v = rng.normal(size=100)
    hv, masks = v, []
    for W in Ws:
        pre = W @ hv
        masks.append(pre > 0)
        hv = np.maximum(pre, 0)
    grad = np.ones(100)
    for W, m in zip(reversed(Ws), reversed(masks)):
        grad = W.T @ (grad * m)
    np.testing.assert_allclose(tape.gradient(v), grad, rtol=1e-9, atol=1e-12)


# ---- hot loops ------------------------------------------------------------------------------

def domke():
    x = sg.var("x")
    f1 = sg.exp(x)
    f3 = f1 + f1 ** 2
    return sg.compile([x], [sg.exp(f3) + sg.sin(f3)])


def test_bound_callable_and_njit_kernel_match_gradient():
    tape = domke()
    xv, g = np.array([0.3]), np.empty(1)
    bound = tape.bind()
    value = bound(xv, g)
    e = np.exp(0.3)
    f3 = e + e * e
    assert value == pytest.approx(np.exp(f3) + np.sin(f3), rel=1e-14)
    assert g[0] == pytest.approx((np.exp(f3) + np.cos(f3)) * (e + 2 * e * e), rel=1e-14)
    assert np.array_equal(g, tape.gradient(xv))

    kernel = sg.value_and_gradient_kernel

    @numba.njit
    def descend(args, x, g, steps, lr):
        op, arg0, arg1, consts, outputs, output, values, partials, adjoints = args
        for _ in range(steps):
            kernel(op, arg0, arg1, consts, outputs, output, values, partials, adjoints, x, g)
            x -= lr * g
        return x

    x = np.array([-1.0])
    x_numba = descend(bound.args, x.copy(), np.empty(1), 5, 1e-4)
    for _ in range(5):
        x = x - 1e-4 * tape.gradient(x)
    np.testing.assert_array_equal(x_numba, x)


def test_bound_callable_refuses_wrong_arrays():
    bound = domke().bind()
    with pytest.raises(TypeError, match=r"float64 arrays of shape \(1,\)"):
        bound(np.array([1.0, 2.0]), np.empty(1))
    with pytest.raises(TypeError, match="float64"):
        bound(np.array([1]), np.empty(1))
