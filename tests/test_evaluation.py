"""Batches in every evaluation method (scalargraph/evaluation.py) and scalars for one-input
tapes. Each batched result is checked against the single-point method at every row (the
single-point methods are themselves checked against closed forms elsewhere) and against
closed forms here.
"""

import numpy as np
import pytest

import scalargraph as sg


@pytest.fixture
def tape():
    a, b = sg.var("a"), sg.var("b")
    return sg.compile([a, b], [sg.sin(a) * b, a * b + sg.exp(b), a, a])   # an output twice


@pytest.fixture
def points():
    rng = np.random.default_rng(0)
    return rng.normal(size=(9, 2)), rng.normal(size=(9, 2)), rng.normal(size=(9, 4))


def stack(fn, B):
    return np.array([fn(i) for i in range(B)])


def test_value_and_gradient_batch(tape, points):
    X = points[0]
    values, grads = tape.value_and_gradient(X, output=0, workers=2)
    np.testing.assert_allclose(values, np.sin(X[:, 0]) * X[:, 1], rtol=1e-15)
    closed = np.stack([np.cos(X[:, 0]) * X[:, 1], np.sin(X[:, 0])], axis=1)
    np.testing.assert_allclose(grads, closed, rtol=1e-15)


def test_first_order_batches_match_single_points(tape, points):
    X, V, W = points
    B = len(X)
    np.testing.assert_array_equal(tape.jvp(X, V), stack(lambda i: tape.jvp(X[i], V[i]), B))
    np.testing.assert_array_equal(tape.jvp(X, V[0]), stack(lambda i: tape.jvp(X[i], V[0]), B))
    np.testing.assert_array_equal(tape.tangents(X, V),
                                  stack(lambda i: tape.tangents(X[i], V[i]), B))
    np.testing.assert_array_equal(tape.vjp(X, W), stack(lambda i: tape.vjp(X[i], W[i]), B))
    np.testing.assert_array_equal(tape.vjp(X, W[3]), stack(lambda i: tape.vjp(X[i], W[3]), B))
    np.testing.assert_array_equal(tape.adjoints(X, 1), stack(lambda i: tape.adjoints(X[i], 1), B))


def test_jvp_vjp_closed_form(tape, points):
    X, V, W = points
    a, b = X[:, 0], X[:, 1]
    J = np.zeros((len(X), 4, 2))
    J[:, 0] = np.stack([np.cos(a) * b, np.sin(a)], 1)
    J[:, 1] = np.stack([b, a + np.exp(b)], 1)
    J[:, 2, 0] = J[:, 3, 0] = 1.0
    np.testing.assert_allclose(tape.jacobian(X), J, rtol=1e-14)
    np.testing.assert_allclose(tape.jvp(X, V), np.einsum("bij,bj->bi", J, V), rtol=1e-13)
    np.testing.assert_allclose(tape.vjp(X, W), np.einsum("bi,bij->bj", W, J), rtol=1e-13)


def test_second_order_batches(tape, points):
    X, V, _ = points
    a, b = X[:, 0], X[:, 1]
    # Hessian of sin(a) b: [[-sin(a) b, cos a], [cos a, 0]]
    hv = np.stack([-np.sin(a) * b * V[:, 0] + np.cos(a) * V[:, 1], np.cos(a) * V[:, 0]], 1)
    np.testing.assert_allclose(tape.hvp(X, V, output=0), hv, rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(tape.hvp(X, V, output=0, workers=1),
                                  stack(lambda i: tape.hvp(X[i], V[i], 0), len(X)))


def test_chunks_and_threads_give_the_same_bits(tape, monkeypatch):
    from scalargraph import batch
    X = np.random.default_rng(2).normal(size=(50, 2))
    V = np.random.default_rng(3).normal(size=(50, 2))
    whole = tape.jvp(X, V, workers=1), tape.vjp(X, np.ones(4), workers=1)
    monkeypatch.setattr(batch, "MAX_CHUNK", 7)
    chunked = tape.jvp(X, V, workers=2), tape.vjp(X, np.ones(4), workers=2)
    for w, c in zip(whole, chunked):
        np.testing.assert_array_equal(w, c)


def test_scalar_for_one_input_tape():
    x = sg.var("x")
    t = sg.compile([x], [sg.sin(x) * x])
    assert t(1.0)[0] == np.sin(1.0)
    assert t.gradient(2.0)[0] == pytest.approx(np.cos(2.0) * 2 + np.sin(2.0), rel=1e-15)
    assert t.jvp(2.0, 1.0)[0] == t.gradient([2.0])[0]
    assert t.hvp(0.0, 1.0)[0] == 2.0                                 # (x sin x)'' at 0
    X = np.linspace(0, 1, 5).reshape(-1, 1)
    np.testing.assert_allclose(t(X)[:, 0], np.sin(X[:, 0]) * X[:, 0], rtol=1e-15)
    with pytest.raises(ValueError, match=r"reshape\(-1, 1\)"):
        t.gradient(np.linspace(0, 1, 5))
    two = sg.trace(lambda a, b: a * b, 2)
    with pytest.raises(ValueError, match="expected 2 input"):
        two(1.0)


def test_batch_errors(tape, points):
    X, V, _ = points
    with pytest.raises(ValueError, match=r"\(9, 2\) \(one per point\)"):
        tape.jvp(X, V[:3])
    with pytest.raises(ValueError, match="output weights"):
        tape.vjp(X, np.ones(3))
    with pytest.raises(ValueError, match="mode must be"):
        tape.jacobian(X, mode="sideways")
    with pytest.raises(TypeError, match="real numbers"):
        tape.jvp(X, np.array(["a", "b"]))
