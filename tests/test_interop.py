"""SciPy interop (scalargraph/interop.py): tape.as_scipy and tape.as_scipy_constraint,
checked against SciPy's hand-written Rosenbrock derivatives and closed forms."""

import numpy as np
import pytest

import scalargraph as sg

optimize = pytest.importorskip("scipy.optimize")


def rosen(x):
    return sg.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


@pytest.fixture
def problem():
    return sg.trace(rosen, 20).as_scipy()


def test_callables_match_scipy_rosenbrock(problem):
    x = np.random.default_rng(0).normal(size=20)
    p = np.random.default_rng(1).normal(size=20)
    assert problem.fun(x) == pytest.approx(optimize.rosen(x), rel=1e-14)
    np.testing.assert_allclose(problem.jac(x), optimize.rosen_der(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(problem.hessp(x, p), optimize.rosen_hess_prod(x, p), rtol=1e-12,
                               atol=1e-10)
    np.testing.assert_allclose(problem.hess(x), optimize.rosen_hess(x), rtol=1e-12, atol=1e-10)
    value, grad = problem.fun_and_jac(x)
    assert value == problem.fun(x)


def test_fun_and_jac_share_one_sweep(problem):
    x = np.linspace(-1, 1, 20)
    problem.fun(x)
    problem.jac(x.copy())          # same point, another array: no new sweep
    assert problem.sweeps == 1
    g = problem.jac(x)
    g[:] = 0.0                      # the caller may write into what it gets
    assert np.any(problem.jac(x) != 0.0)
    y = x.copy()
    y[3] = np.nextafter(y[3], 2.0)  # another point, one ulp away
    problem.jac(y)
    assert problem.sweeps == 2


@pytest.mark.parametrize("method", ["L-BFGS-B", "BFGS", "Newton-CG", "trust-ncg", "trust-exact"])
def test_minimize_reaches_the_minimum(problem, method):
    x0 = np.linspace(0.0, 0.5, 20)   # in the basin of the global minimum (1, ..., 1)
    result = problem.minimize(x0, method, options={"maxiter": 2000})
    assert result.success, result.message
    np.testing.assert_allclose(result.x, np.ones(20), atol=1e-3)
    # quasi-Newton: one sweep per point SciPy evaluated, whether it asked for fun, jac or both
    assert problem.sweeps <= max(problem.calls["fun"], problem.calls["jac"])


def test_kwargs_pick_what_the_method_uses(problem):
    assert set(problem.kwargs("L-BFGS-B")) == {"fun", "jac"}
    assert set(problem.kwargs("newton-cg")) == {"fun", "jac", "hessp"}
    assert set(problem.kwargs("Nelder-Mead")) == {"fun"}
    with pytest.raises(ValueError, match="unknown minimize method"):
        problem.kwargs("sideways")


def test_constraint_jacobian_and_hessian():
    # c(x) = (x0 x1, x0^2 + sin x1)
    con = sg.trace(lambda x: [x[0] * x[1], x[0] ** 2 + sg.sin(x[1])], 2).as_scipy_constraint(
        lb=-1.0, ub=1.0)
    x = np.array([0.3, -0.8])
    np.testing.assert_allclose(con.fun(x), [x[0] * x[1], x[0] ** 2 + np.sin(x[1])], rtol=1e-15)
    np.testing.assert_allclose(con.jac(x), [[x[1], x[0]], [2 * x[0], np.cos(x[1])]], rtol=1e-15)
    v = np.array([2.0, -3.0])
    H = 2.0 * np.array([[0, 1], [1, 0]]) - 3.0 * np.array([[2, 0], [0, -np.sin(x[1])]])
    op = con.hess(x, v)
    np.testing.assert_allclose(op @ np.eye(2), H, rtol=1e-14)


def test_constrained_minimize():
    # min x0^2 + x1^2 subject to x0 + x1 >= 1: the closest point of the line, (1/2, 1/2)
    obj = sg.trace(lambda x: x[0] ** 2 + x[1] ** 2, 2).as_scipy()
    con = sg.trace(lambda x: 1.0 - x[0] - x[1], 2).as_scipy_constraint(ub=0.0)
    result = optimize.minimize(x0=[2.0, 0.0], method="trust-constr", constraints=[con],
                               **obj.kwargs("trust-constr"))
    np.testing.assert_allclose(result.x, [0.5, 0.5], atol=1e-3)
    result = optimize.minimize(x0=[2.0, 0.0], method="SLSQP", **obj.kwargs("SLSQP"),
                               constraints=[{"type": "ineq", "fun": lambda x: -con.fun(x),
                                             "jac": lambda x: -con.jac(x)}])
    np.testing.assert_allclose(result.x, [0.5, 0.5], atol=1e-6)


def test_data_inputs_refused():
    w, x = sg.var("w"), sg.var("x")
    tape = sg.compile([w], (w * x) ** 2, data=[x])
    with pytest.raises(ValueError, match="data input"):
        tape.as_scipy()


def test_rosenbrock_benchmark_runs_and_agrees_with_scipy():
    import importlib.util
    import os
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "benchmarks", "rosenbrock.py")
    spec = importlib.util.spec_from_file_location("bench_rosenbrock", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    tape, _, times, results = bench.time_to_solution(20, 1)
    assert tape.n_inputs == 20 and all(len(t) == 1 for t in times.values())
    for (method, name), result in results.items():
        reference = results[method, next(nm for m, nm in results if m == method
                                         and nm.startswith("SciPy"))]
        # the same function to rounding: the same path to the same point
        assert abs(result.nit - reference.nit) <= 3, (method, name)
        np.testing.assert_allclose(result.x, reference.x, atol=1e-3)
    best, _ = bench.per_call(5, 10)
    assert set(best) >= {"tape.value_and_gradient(x)", "sg.value_and_grad(f)(x)"}
