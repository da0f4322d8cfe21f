"""Cases ported from the test suites of autograd, JAX and CasADi, with their tolerances.

Each block names its source. The functions are written with NumPy's ufuncs on nodes where
the source uses them (so NumPy dispatch is tested too). What could not be ported is listed
in the closing note of issue 13 (np.mod's floor semantics, sinc, lgamma ...).

* autograd ``tests/test_scalar_ops.py`` / ``test_binary_ops.py``: ``check_grads`` compares
  the gradient with central differences of step 1e-4 at rtol 1e-4, atol 1e-6 (autograd's
  ``util``), for f and for its derivative (``d_fun = grad(fun)``, here the Hessian).
* JAX ``tests/lax_autodiff_test.py``, ``tests/nn_test.py``: ``check_grads`` to order 2 with
  step 1e-4 and tolerance 1e-5 for float64 (``jax._src.public_test_util``), and the exact
  special cases (softplus at +-inf and NaN, pow's Hessian at y = 0, issue 12033).
* CasADi ``test/python/sx.py``: ``test_if_else`` and the unary function pool, values and
  Jacobians against NumPy at ``checkarray``'s default 10 digits.
"""

import math

import numpy as np
import pytest

import scalargraph as sg

AG_EPS, AG_RTOL, AG_ATOL = 1e-4, 1e-4, 1e-6
JAX_EPS, JAX_TOL = 1e-4, 1e-5


def _fd(fn, x, eps):
    x = np.asarray(x, dtype=float)
    out = []
    for k in range(x.size):
        e = np.zeros_like(x)
        e[k] = eps / 2.0
        out.append((fn(x + e) - fn(x - e)) / eps)
    return np.array(out)


def check_grads(fn, x, eps, rtol, atol, order=2):
    """The gradient against differences of the value, the Hessian against differences of
    the gradient (autograd's check_grads of fun and of grad(fun); JAX's to order 2)."""
    n = len(x)
    xs = [sg.var(f"x{k}") for k in range(n)]
    tape = sg.compile(xs, [fn(*xs)])
    x = np.asarray(x, dtype=float)
    np.testing.assert_allclose(tape.gradient(x), _fd(lambda p: tape(p)[0], x, eps),
                               rtol=rtol, atol=atol)
    np.testing.assert_allclose(tape.jacobian(x, mode="forward")[0], tape.gradient(x),
                               rtol=1e-14, atol=1e-300)
    if order >= 2:
        np.testing.assert_allclose(tape.hessian(x), _fd(tape.gradient, x, eps),
                                   rtol=rtol, atol=atol)


# ---- autograd tests/test_scalar_ops.py --------------------------------------------------------
_R = np.random.default_rng(1)
AUTOGRAD_UNARY = [
    ("abs", lambda x: 3.0 * np.abs(x), [1.1, -1.1]),
    ("sin", lambda x: 3.0 * np.sin(x), [_R.standard_normal()]),
    ("sign", lambda x: 3.0 * np.sign(x), [1.1, -1.1]),
    ("exp", lambda x: 3.0 * np.exp(x), [_R.standard_normal()]),
    ("log", lambda x: 3.0 * np.log(x), [abs(_R.standard_normal())]),
    ("log2", lambda x: 3.0 * np.log2(x), [abs(_R.standard_normal())]),
    ("log10", lambda x: 3.0 * np.log10(x), [abs(_R.standard_normal())]),
    ("log1p", lambda x: 3.0 * np.log1p(x), [abs(_R.standard_normal())]),
    ("expm1", lambda x: 3.0 * np.expm1(x), [abs(_R.standard_normal())]),
    ("exp2", lambda x: 3.0 * np.exp2(x), [abs(_R.standard_normal())]),
    ("neg", lambda x: 3.0 * -x, [_R.standard_normal()]),
    ("cos", lambda x: 3.0 * np.cos(x), [_R.standard_normal()]),
    ("tan", lambda x: 3.0 * np.tan(x), [_R.standard_normal()]),
    ("cosh", lambda x: 3.0 * np.cosh(x), [_R.standard_normal()]),
    ("sinh", lambda x: 3.0 * np.sinh(x), [_R.standard_normal()]),
    ("tanh", lambda x: 3.0 * np.tanh(x), [_R.standard_normal()]),
    ("arccos", lambda x: 3.0 * np.arccos(x), [0.1, 0.2]),
    ("arcsin", lambda x: 3.0 * np.arcsin(x), [0.1, 0.2]),
    ("arctan", lambda x: 3.0 * np.arctan(x), [0.2, 0.3]),
    ("arccosh", lambda x: 3.0 * np.arccosh(x), [_R.standard_normal() ** 2 + 1.0]),
    ("arcsinh", lambda x: 3.0 * np.arcsinh(x), [_R.standard_normal()]),
    ("arctanh", lambda x: 3.0 * np.arctanh(x), [0.2, 0.3]),
    ("sqrt", lambda x: 3.0 * np.sqrt(x), [10.0 * _R.random()]),
    ("reciprocal", lambda x: np.reciprocal(x), [_R.random()]),
    ("negative", lambda x: np.negative(x), [_R.random()]),
    ("rad2deg", lambda x: 3.0 * np.rad2deg(x), [10.0 * _R.random()]),
    ("deg2rad", lambda x: 3.0 * np.deg2rad(x), [10.0 * _R.random()]),
    ("radians", lambda x: 3.0 * np.radians(x), [10.0 * _R.random()]),
    ("degrees", lambda x: 3.0 * np.degrees(x), [10.0 * _R.random()]),
    ("power_arg0", lambda x: np.power(x, 1.7), [_R.random() ** 2 + 1.0]),
    ("power_arg1", lambda y: np.power(1.3, y), [_R.random() ** 2]),
    ("power_arg1_zero", lambda y: np.power(0.0, y), [_R.random() ** 2]),
]


@pytest.mark.parametrize("name, fn, points", AUTOGRAD_UNARY, ids=[c[0] for c in AUTOGRAD_UNARY])
def test_autograd_scalar_ops(name, fn, points):
    for p in points:
        check_grads(fn, [p], AG_EPS, AG_RTOL, AG_ATOL)


def test_autograd_abs_at_zero_and_power_with_zero_exponent():
    check_grads(lambda x: 3.0 * np.abs(x), [0.0], AG_EPS, AG_RTOL, AG_ATOL, order=1)
    x = sg.var("x")
    tape = sg.compile([x], [np.power(x, 0.0)])  # autograd issue 116
    assert tape.gradient([0.0])[0] == 0.0 and tape.hessian([0.0])[0, 0] == 0.0


# ---- autograd tests/test_binary_ops.py --------------------------------------------------------
_PAIRS = [(2.0, 2.0)] + [tuple(_R.standard_normal(2)) for _ in range(6)]


@pytest.mark.parametrize("name, fn, prepare", [
    ("mul", lambda x, y: x * y, lambda a, b: (a, b)),
    ("add", lambda x, y: x + y, lambda a, b: (a, b)),
    ("sub", lambda x, y: x - y, lambda a, b: (a, b)),
    ("div", lambda x, y: x / y, lambda a, b: (math.sqrt(a * a + 0.5), math.sqrt(b * b + 0.5))),
    ("pow", lambda x, y: x ** y, lambda a, b: (abs(a) + 1.1, b)),
    ("arctan2", np.arctan2, lambda a, b: (a, b)),
    ("hypot", np.hypot, lambda a, b: (a, b)),
])
def test_autograd_binary_ops(name, fn, prepare):
    for a, b in _PAIRS:
        check_grads(fn, list(prepare(a, b)), AG_EPS, AG_RTOL, AG_ATOL)


def test_autograd_comparison_grads_and_values():
    x, y = sg.var("x"), sg.var("y")
    comparisons = [(sg.lt, lambda a, b: a < b), (sg.le, lambda a, b: a <= b),
                   (sg.gt, lambda a, b: a > b), (sg.ge, lambda a, b: a >= b),
                   (sg.eq, lambda a, b: a == b), (sg.ne, lambda a, b: a != b)]
    for a, b in _PAIRS:
        for fn, ref in comparisons:
            tape = sg.compile([x, y], [fn(x, y) + 0.0])
            assert tape([a, b])[0] == float(ref(a, b))
            np.testing.assert_array_equal(tape.gradient([a, b]), [0.0, 0.0])
        tape = sg.compile([x], [sg.lt(x, x) + 0.0])  # x < x
        assert tape([a])[0] == 0.0 and tape.gradient([a])[0] == 0.0


# ---- JAX tests/lax_autodiff_test.py -----------------------------------------------------------
JAX_OPS = [
    ("exp", sg.exp, [0.3, -1.1]), ("expm1", sg.expm1, [0.3, -1.1]),
    ("log", sg.log, [0.7, 2.2]), ("log1p", sg.log1p, [0.7, -0.4]),
    ("tanh", sg.tanh, [0.3, -1.1]), ("sin", sg.sin, [0.3, -1.1]), ("cos", sg.cos, [0.3, -1.1]),
    ("tan", sg.tan, [0.3, -1.1]), ("asin", sg.asin, [0.3, -0.6]), ("acos", sg.acos, [0.3, -0.6]),
    ("atan", sg.atan, [0.3, -1.1]), ("asinh", sg.asinh, [0.3, -1.1]),
    ("acosh", sg.acosh, [1.3, 2.1]), ("atanh", sg.atanh, [0.3, -0.6]),
    ("sinh", sg.sinh, [0.3, -1.1]), ("cosh", sg.cosh, [0.3, -1.1]),
    ("erf", sg.erf, [0.3, -1.1]), ("erfc", sg.erfc, [0.3, -1.1]),
    ("sqrt", sg.sqrt, [0.7, 2.2]), ("cbrt", sg.cbrt, [0.7, -2.2]),
    ("abs", sg.abs, [0.7, -2.2]), ("logistic", sg.sigmoid, [0.7, -2.2]),
    ("floor", sg.floor, [0.7, -2.2]), ("ceil", sg.ceil, [0.7, -2.2]),
    ("round", sg.round, [0.7, -2.2]), ("sign", sg.sign, [0.7, -2.2]),
]


@pytest.mark.parametrize("name, fn, points", JAX_OPS, ids=[c[0] for c in JAX_OPS])
def test_jax_lax_unary_grads(name, fn, points):
    for p in points:
        check_grads(fn, [p], JAX_EPS, JAX_TOL, JAX_TOL)


@pytest.mark.parametrize("name, fn, point", [
    ("add", lambda x, y: x + y, [0.3, -1.1]), ("sub", lambda x, y: x - y, [0.3, -1.1]),
    ("mul", lambda x, y: x * y, [0.3, -1.1]), ("div", lambda x, y: x / y, [0.3, -1.1]),
    ("max", sg.maximum, [0.3, -1.1]), ("min", sg.minimum, [0.3, -1.1]),
    ("pow", lambda x, y: x ** y, [0.7, 1.3]), ("atan2", sg.atan2, [0.3, -1.1]),
    ("rem", sg.fmod, [2.3, 0.7]), ("rem_negative", sg.fmod, [-2.3, 0.7]),
    ("logaddexp", sg.logaddexp, [0.3, -1.1]),
])
def test_jax_lax_binary_grads(name, fn, point):
    check_grads(fn, point, JAX_EPS, JAX_TOL, JAX_TOL)


def test_jax_pow_second_derivative_issue_12033():
    x0 = 4.0
    x, y = sg.var("x"), sg.var("y")
    tape = sg.compile([x, y], [x ** y])
    np.testing.assert_allclose(tape.hessian([x0, 0.0]),
                               [[0.0, 1.0 / x0], [1.0 / x0, math.log(x0) ** 2]], rtol=1e-15)
    # and the integer power at zero: d/dx x^2 at 0 is 0, d2 is 2 (testPowIntPowerAtZero)
    tape = sg.compile([x], [x ** 2.0])
    assert tape.gradient([0.0])[0] == 0.0 and tape.hessian([0.0])[0, 0] == 2.0


# ---- JAX tests/nn_test.py ----------------------------------------------------------------------
def test_jax_nn_softplus_grads_at_edges():
    check_grads(sg.softplus, [1e-8], JAX_EPS, JAX_TOL, JAX_TOL)  # order 4 there; 2 here
    check_grads(sg.softplus, [0.0], JAX_EPS, JAX_TOL, JAX_TOL, order=1)
    x = sg.var("x")
    tape = sg.compile([x], [sg.softplus(x)])
    assert tape.gradient([math.inf])[0] == 1.0
    assert tape.gradient([-math.inf])[0] == 0.0
    assert math.isnan(tape.gradient([math.nan])[0])
    assert tape([0.0])[0] == math.log(2.0)
    assert tape([89.0])[0] == pytest.approx(89.0, rel=1e-15)


def test_jax_nn_relu_elu_gelu_softmax():
    for p in (1.0, -1.0):
        check_grads(sg.relu, [p], JAX_EPS, JAX_TOL, JAX_TOL)
    check_grads(sg.elu, [1e4], 1.0, JAX_TOL, JAX_TOL)  # eps=1 as in testEluGrad
    x = sg.var("x")
    assert sg.compile([x], [sg.elu(x)])([1e4])[0] == 1e4
    tape = sg.compile([x], [sg.gelu(x)])
    for v in np.linspace(-3.0, 3.0, 13):  # testGelu: x * norm.cdf(x)
        assert tape([v])[0] == pytest.approx(v * 0.5 * math.erfc(-v / math.sqrt(2.0)),
                                             rel=1e-14, abs=1e-300)
    values = [5.5, 1.3, -4.2, 0.9]  # testSoftmaxGrad, order 2, atol 3e-3
    X = sg.variables(4)
    soft = sg.softmax(X)
    for k in range(4):
        tape = sg.compile(X, [soft[k]])
        g = tape.gradient(values)
        np.testing.assert_allclose(g, _fd(lambda p: tape(p)[0], values, JAX_EPS), atol=3e-3)
        np.testing.assert_allclose(tape.hessian(values), _fd(tape.gradient, values, JAX_EPS),
                                   atol=3e-3)


# ---- CasADi test/python/sx.py ------------------------------------------------------------------
def test_casadi_if_else():
    x = sg.var("x")
    tape = sg.compile([x], [sg.where(x, 1.0, 2.0)])
    assert tape([1.0])[0] == 1.0 and tape([0.0])[0] == 2.0
    tape = sg.compile([x], [sg.where(sg.gt(x, 1.0), x ** 2, x ** 3)])
    for x0 in (2.1, -2.1):
        want = x0 ** 2 if x0 > 1 else x0 ** 3
        dwant = 2 * x0 if x0 > 1 else 3 * x0 ** 2
        np.testing.assert_allclose(tape([x0])[0], want, rtol=1e-10)
        np.testing.assert_allclose(tape.gradient([x0])[0], dwant, rtol=1e-10)


CASADI_POOL = [("sqrt", np.sqrt), ("sin", np.sin), ("cos", np.cos), ("tan", np.tan),
               ("fabs", np.fabs), ("sign", np.sign), ("arctan", np.arctan),
               ("arcsin", np.arcsin), ("arccos", np.arccos), ("exp", np.exp), ("log", np.log),
               ("floor", np.floor), ("ceil", np.ceil), ("sinh", np.sinh), ("cosh", np.cosh),
               ("tanh", np.tanh), ("arcsinh", np.arcsinh), ("arctanh", np.arctanh),
               ("log10", np.log10), ("log1p", np.log1p), ("expm1", np.expm1)]


@pytest.mark.parametrize("name, ufunc", CASADI_POOL, ids=[c[0] for c in CASADI_POOL])
def test_casadi_unary_pool_values_and_jacobians(name, ufunc):
    x = sg.var("x")
    tape = sg.compile([x], [ufunc(x)])
    for x0 in (0.738, 0.1, 0.41):
        np.testing.assert_allclose(tape([x0])[0], ufunc(x0), rtol=1e-10)
        fd = _fd(lambda p: np.array([float(ufunc(p[0]))]), [x0], 1e-6)[0]
        np.testing.assert_allclose(tape.gradient([x0])[0], fd, rtol=1e-8, atol=1e-10)
