"""Function transforms and sg.trace on one array argument (scalargraph/transforms.py).

References: closed forms, SciPy's hand-written Rosenbrock derivatives (rosen_der,
rosen_hess), and the tape methods they wrap.
"""

import logging

import numpy as np
import pytest

import scalargraph as sg

scipy_optimize = pytest.importorskip("scipy.optimize")


def rosen(x):
    return sg.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


# ---- trace ---------------------------------------------------------------------------------
def test_trace_one_array_argument():
    tape = sg.trace(lambda x: x[0] * x[1], 2)
    assert tape([2.0, 3.0])[0] == 6.0
    np.testing.assert_array_equal(tape.gradient([2.0, 3.0]), [3.0, 2.0])
    assert list(tape.input_names) == ["x0", "x1"]


def test_trace_several_scalars_unchanged():
    tape = sg.trace(lambda a, b: a * sg.sin(b), 2)
    assert list(tape.input_names) == ["a", "b"]
    np.testing.assert_allclose(tape.gradient([2.0, 3.0]), [np.sin(3.0), 2 * np.cos(3.0)])
    star = sg.trace(lambda *xs: xs[0] + xs[1] * xs[2], 3)
    np.testing.assert_array_equal(star.gradient([1.0, 2.0, 3.0]), [1.0, 3.0, 2.0])
    one = sg.trace(lambda x: sg.exp(x), 1)   # one scalar: a Node, as before
    np.testing.assert_allclose(one.gradient([0.5]), [np.exp(0.5)])


def test_trace_shape_tuple():
    tape = sg.trace(lambda x: x[0] ** 2, (1,))    # one-element array, not a scalar
    assert tape.gradient([3.0])[0] == 6.0
    m = sg.trace(lambda A: A[0, 0] * A[1, 1] - A[0, 1] * A[1, 0], (2, 2))   # det, C order
    np.testing.assert_array_equal(m.gradient([1.0, 2.0, 3.0, 4.0]), [4.0, -3.0, -2.0, 1.0])


def test_trace_rejects_wrong_arity():
    with pytest.raises(TypeError, match="3 scalars or one array"):
        sg.trace(lambda a, b: a * b, 3)


# ---- transforms ----------------------------------------------------------------------------
def test_value_and_grad_rosenbrock_against_scipy():
    x = np.array([-1.2, 1.0, 0.5, 2.0, 0.1])
    value, g = sg.value_and_grad(rosen)(x)
    assert value == pytest.approx(scipy_optimize.rosen(x), rel=1e-14)
    np.testing.assert_allclose(g, scipy_optimize.rosen_der(x), rtol=1e-13)
    np.testing.assert_allclose(sg.grad_fn(rosen)(x), scipy_optimize.rosen_der(x), rtol=1e-13)
    np.testing.assert_allclose(sg.hessian_fn(rosen)(x), scipy_optimize.rosen_hess(x),
                               rtol=1e-13)


def test_traces_once_per_shape(caplog):
    f = sg.value_and_grad(rosen)
    with caplog.at_level(logging.INFO, logger="scalargraph.transforms"):
        f(np.ones(3))
        f(np.zeros(3))
        f([1.0, 2.0, 3.0])
        assert f.traces == 1
        f(np.ones(4))
    assert f.traces == 2
    assert sum("traced" in r.getMessage() for r in caplog.records) == 2
    assert f.tape_for(np.ones(4)).n_inputs == 4 and f.traces == 2


def test_argnums_and_data():
    def loss(w, x, y):
        return sg.sum((w @ x - y) ** 2)

    rng = np.random.default_rng(1)
    w, x, y = rng.normal(size=(2, 3)), rng.normal(size=3), rng.normal(size=2)
    closed = 2 * np.outer(w @ x - y, x)                    # d/dw |w x - y|^2
    g = sg.grad_fn(loss)(w, x, y)
    assert g.shape == (2, 3)
    np.testing.assert_allclose(g, closed, rtol=1e-13)
    gw, gy = sg.grad_fn(loss, argnums=(0, 2))(w, x, y)
    np.testing.assert_allclose(gw, closed, rtol=1e-13)
    np.testing.assert_allclose(gy, -2 * (w @ x - y), rtol=1e-13)
    f = sg.grad_fn(loss)
    f(w, x, y)
    f(w, rng.normal(size=3), y)                            # new data, same shapes: no trace
    assert f.traces == 1
    assert f.tape_for(w, x, y).n_data == 5


def test_several_scalars():
    g = sg.grad_fn(lambda a, b: a * sg.sin(b), argnums=(0, 1))
    ga, gb = g(2.0, 3.0)
    assert ga == np.sin(3.0) and gb == pytest.approx(2 * np.cos(3.0), rel=1e-15)
    assert np.ndim(ga) == 0
    value, d = sg.value_and_grad(lambda a, b: a * b, argnums=1)(2.0, 5.0)
    assert (value, d) == (10.0, 2.0)


def test_static_argnums():
    f = sg.value_and_grad(lambda x, n: x ** n, static_argnums=1)
    assert f(2.0, 3) == (8.0, 12.0)
    assert f(2.0, 4) == (16.0, 32.0)
    assert f.traces == 2
    with pytest.raises(ValueError, match="both differentiated"):
        sg.grad_fn(lambda x: x, argnums=0, static_argnums=0)


def test_jacobian_fn_shapes():
    def f(x):
        return sg.tanh(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]) @ x)

    x = np.array([0.1, -0.2])
    J = sg.jacobian_fn(f)(x)
    A = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    np.testing.assert_allclose(J, (1 - np.tanh(A @ x) ** 2)[:, None] * A, rtol=1e-14)
    Jw = sg.jacobian_fn(lambda w, x: sg.tanh(w @ x))(np.eye(2), x)
    assert Jw.shape == (2, 2, 2)
    # d tanh(w x)_i / d w_jk = delta_ij (1 - tanh^2) x_k
    expected = np.einsum("ij,i,k->ijk", np.eye(2), 1 - np.tanh(x) ** 2, x)
    np.testing.assert_allclose(Jw, expected, rtol=1e-14)


def test_hessian_fn_with_data_and_tuple():
    def f(x, y):
        return sg.sum((x * y) ** 2)

    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    np.testing.assert_array_equal(sg.hessian_fn(f)(x, y), np.diag(2 * y ** 2))
    hxx, hxy = sg.hessian_fn(f, argnums=(0, 1))(x, y)[0]
    np.testing.assert_array_equal(hxx, np.diag(2 * y ** 2))
    np.testing.assert_array_equal(hxy, np.diag(4 * x * y))


def test_errors():
    with pytest.raises(ValueError, match="one scalar output"):
        sg.grad_fn(lambda x: x * 2.0)(np.ones(3))
    with pytest.raises(TypeError, match="real numbers"):
        sg.grad_fn(lambda x, s: x)(1.0, "a")
    with pytest.raises(TypeError, match="called with 1 argument"):
        sg.grad_fn(lambda x, y: x * y, argnums=1)(1.0)
    with pytest.raises(TypeError, match="needs a function"):
        sg.value_and_grad(3)
    with pytest.raises(TypeError, match="graph node"):
        sg.grad_fn(lambda x: x)(sg.var("x"))


def test_outputs_of_several_node_arrays():
    tape = sg.trace(lambda x: list(x[:2] * 2.0) + list(sg.sin(x[2:])), 3)
    np.testing.assert_allclose(tape([1.0, 2.0, 0.5]), [2.0, 4.0, np.sin(0.5)], rtol=1e-15)
    with pytest.raises(TypeError, match="list holding NodeArrays"):
        sg.trace(lambda x: [x[:2], x[2:]], 3)
