"""NumPy on nodes: ufuncs, reductions on NodeArrays and object arrays, stable compounds.

Oracle: NumPy itself on the same float values (and closed-form derivatives).
"""

import math

import numpy as np
import pytest

import scalargraph as sg

X0 = np.array([0.3, -1.2, 2.5, 0.7, -0.4, 1.9])


def _compiled(fn, x0=X0, shape=None):
    X = sg.variables(x0.size if shape is None else shape)
    out = fn(X)
    outs = list(out.ravel()) if isinstance(out, (sg.NodeArray, np.ndarray)) else [out]
    return sg.compile(X.ravel(), outs), X


@pytest.mark.parametrize("name, kwargs", [("sum", {}), ("prod", {}), ("mean", {}), ("max", {}),
                                          ("min", {}), ("var", {}), ("std", {}),
                                          ("var", {"ddof": 1}), ("std", {"ddof": 1})])
def test_numpy_reductions_of_a_nodearray_record_one_node_each(name, kwargs):
    fn = getattr(np, name)
    tape, X = _compiled(lambda X: fn(X, **kwargs))
    np.testing.assert_allclose(tape(X0)[0], fn(X0, **kwargs), rtol=1e-14)
    assert tape.n_outputs == 1


@pytest.mark.parametrize("name", ["sum", "prod", "mean", "max", "min", "var", "std"])
def test_numpy_reductions_along_an_axis(name):
    fn = getattr(np, name)
    M = X0.reshape(2, 3)
    for axis in (0, 1):
        tape, _ = _compiled(lambda X: fn(X, axis=axis), M, shape=(2, 3))
        np.testing.assert_allclose(tape(X0), fn(M, axis=axis), rtol=1e-14)


def test_reductions_on_object_arrays_of_nodes():
    xs = [sg.var(f"x{i}") for i in range(X0.size)]
    obj = np.array(xs, dtype=object)
    for fn in (np.sum, np.prod, np.mean, np.var, np.std):
        tape = sg.compile(xs, [fn(obj)])
        np.testing.assert_allclose(tape(X0)[0], fn(X0), rtol=1e-14)
    for fn, want in ((np.fabs, np.abs(X0)), (np.reciprocal, 1.0 / X0), (np.arcsin, None)):
        out = fn(obj)
        assert out.dtype == object
        if want is not None:
            np.testing.assert_allclose(sg.compile(xs, list(out))(X0), want, rtol=1e-15)
    for fn in (sg.max, sg.min):  # np.max / np.min need a truth value per element
        np.testing.assert_allclose(sg.compile(xs, [fn(obj)])(X0)[0],
                                   (np.max if fn is sg.max else np.min)(X0))
    with pytest.raises(TypeError, match="sg.max"):
        np.max(obj)


def test_clip_where_sign_reciprocal_fabs_on_nodearrays_match_numpy():
    cases = [(lambda X: np.clip(X, -0.5, 1.0), lambda v: np.clip(v, -0.5, 1.0)),
             (lambda X: np.where(sg.gt(X, 0.0), X, 0.5 * X), lambda v: np.where(v > 0, v, 0.5 * v)),
             (np.sign, np.sign), (np.reciprocal, np.reciprocal), (np.fabs, np.fabs),
             (lambda X: sg.clip(X, -0.5, 1.0), lambda v: np.clip(v, -0.5, 1.0))]
    for fn, ref in cases:
        tape, _ = _compiled(fn)
        np.testing.assert_allclose(tape(X0), ref(X0), rtol=1e-15)


def test_clip_derivative_is_one_on_the_closed_interval():
    x = sg.var("x")
    tape = sg.compile([x], [sg.clip(x, -1.0, 2.0)])
    for v, d in ((-3.0, 0.0), (-1.0, 1.0), (0.5, 1.0), (2.0, 1.0), (2.5, 0.0)):
        assert tape([v])[0] == min(max(v, -1.0), 2.0)
        assert tape.gradient([v])[0] == d


@pytest.mark.parametrize("ufunc, ref", [
    (np.log1p, np.log1p), (np.expm1, np.expm1), (np.log2, np.log2), (np.log10, np.log10),
    (np.exp2, np.exp2), (np.sinh, np.sinh), (np.cosh, np.cosh), (np.arctan, np.arctan),
    (np.arcsinh, np.arcsinh), (np.cbrt, np.cbrt), (np.floor, np.floor), (np.ceil, np.ceil),
    (np.rint, np.rint), (np.trunc, np.trunc), (np.sign, np.sign)])
def test_unary_ufuncs_on_nodes_and_nodearrays(ufunc, ref):
    x = sg.var("x")
    node = ufunc(x)
    assert isinstance(node, sg.Node)
    values = np.abs(X0) + 0.1
    tape = sg.compile([x], [node])
    for v in values:
        np.testing.assert_allclose(tape([v])[0], ref(v), rtol=2e-16 * 4)
    X = sg.variables(values.size)
    np.testing.assert_allclose(sg.compile(X, ufunc(X))(values), ref(values), rtol=1e-15)


@pytest.mark.parametrize("ufunc", [np.arctan2, np.hypot, np.fmod, np.copysign, np.fmax,
                                   np.fmin, np.logaddexp, np.less, np.greater_equal,
                                   np.equal, np.not_equal])
def test_binary_ufuncs_on_nodes(ufunc):
    x, y = sg.var("x"), sg.var("y")
    tape = sg.compile([x, y], [ufunc(x, y)])
    for a, b in ((0.3, -1.2), (2.5, 0.7), (-0.4, 1.9), (1.0, 1.0), (np.nan, 2.0)):
        with np.errstate(all="ignore"):
            np.testing.assert_allclose(tape([a, b])[0], float(ufunc(a, b)), rtol=1e-15)


def test_np_sum_of_a_lone_node_and_variables_with_a_shape():
    x = sg.var("x")
    assert np.sum(x) is x
    V = sg.variables((2, 3), "w")
    assert V.shape == (2, 3) and V[1, 2].name == "w5"
    tape = sg.compile(V.ravel(), [np.sum(V * V)])
    assert tape(np.arange(6.0))[0] == 55.0
    with pytest.raises(TypeError):
        sg.variables((2, 1.5))


# ---- stable compounds --------------------------------------------------------------------------
def test_logsumexp_is_stable_and_its_gradient_is_the_softmax():
    for values in (X0, X0 + 1000.0, X0 - 1000.0, np.array([-np.inf, 0.0, 1.0])):
        tape, _ = _compiled(sg.logsumexp, values)
        m = np.max(values)
        want = m + np.log(np.sum(np.exp(values - m)))
        assert tape(values)[0] == pytest.approx(want, rel=1e-15)
        p = np.exp(values - want)
        np.testing.assert_allclose(tape.gradient(values), p, rtol=1e-14, atol=1e-300)
        if np.all(np.isfinite(values)):
            np.testing.assert_allclose(tape.hessian(values), np.diag(p) - np.outer(p, p),
                                       rtol=1e-12, atol=1e-15)
    tape, _ = _compiled(sg.logsumexp, np.array([-np.inf, -np.inf]))
    assert tape([-np.inf, -np.inf])[0] == -np.inf
    np.testing.assert_array_equal(tape.gradient([-np.inf, -np.inf]), [0.0, 0.0])
    assert tape([np.inf, 1.0])[0] == np.inf
    assert sg.logsumexp([1000.0, 1000.0]) == pytest.approx(1000.0 + math.log(2.0))


def test_softmax_sums_to_one_without_overflow():
    for values in (X0, X0 * 400.0):
        tape, _ = _compiled(sg.softmax, values)
        p = tape(values)
        e = np.exp(values - values.max())
        np.testing.assert_allclose(p, e / e.sum(), rtol=1e-14, atol=1e-300)
        assert p.sum() == pytest.approx(1.0, rel=1e-15)
    xs = [sg.var() for _ in range(3)]
    out = sg.softmax(xs)
    assert out.dtype == object and out.shape == (3,)


def test_elu_log_sigmoid_silu_gelu_values_and_kinks():
    x = sg.var("x")
    for fn, ref in ((sg.log_sigmoid, lambda v: -np.logaddexp(0.0, -v)),
                    (sg.silu, lambda v: v / (1.0 + np.exp(-v))),
                    (lambda t: sg.elu(t, 0.5), lambda v: v if v > 0 else 0.5 * np.expm1(v))):
        tape = sg.compile([x], [fn(x)])
        for v in (-800.0, -30.0, -1.5, 0.0, 0.7, 30.0, 800.0):
            with np.errstate(all="ignore"):
                np.testing.assert_allclose(tape([v])[0], ref(v), rtol=1e-15)
    tape = sg.compile([x], [sg.elu(x, alpha=0.5)])
    assert tape.gradient([0.0])[0] == 0.5 and tape.gradient([1e-300])[0] == 1.0
    assert tape.gradient([800.0])[0] == 1.0  # exp(800) = inf in the untaken piece
    tape = sg.compile([x], [sg.log_sigmoid(x)])
    assert tape([-800.0])[0] == -800.0 and tape.gradient([-800.0])[0] == 1.0
    assert tape.gradient([800.0])[0] == pytest.approx(math.exp(-800.0), rel=1e-14)
