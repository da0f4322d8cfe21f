"""sg.where, comparisons, stop_gradient, custom_gradient, and pow's second derivative at y = 0.

Oracles: closed forms, the branch evaluated alone by Python's math (which raises where the
untaken branch would be NaN), central differences, and the other AD modes.
"""

import math

import numpy as np
import pytest

import scalargraph as sg


def _every_mode(tape, x):
    """First derivatives of output 0 by every route (forward, reverse, batch, symbolic)."""
    x = np.asarray(x, dtype=float)
    n = tape.n_inputs
    routes = {
        "gradient": tape.gradient(x),
        "jacobian forward": tape.jacobian(x, mode="forward")[0],
        "jacobian reverse": tape.jacobian(x, mode="reverse")[0],
        "jvp": np.array([tape.jvp(x, np.eye(n)[j])[0] for j in range(n)]),
        "batch gradient": tape.gradient(np.stack([x, x]))[1],
    }
    return routes


# ---- where ----------------------------------------------------------------------------------
@pytest.mark.parametrize("untaken", [
    lambda x: sg.sqrt(x),             # NaN for x < 0
    lambda x: sg.log(x),              # NaN value, and derivative -1 / |x|... for x < 0
    lambda x: 1.0 / (x + 1.0),        # inf at x = -1
    lambda x: sg.exp(-1000.0 * x),    # overflows to inf for x < 0
    lambda x: sg.asin(x),             # NaN outside [-1, 1]
])
def test_untaken_nan_or_inf_branch_reaches_no_value_and_no_derivative(untaken):
    x = sg.var("x")
    y = sg.where(sg.gt(x, 0.0), untaken(x), x * x)
    tape = sg.compile([x], [y])
    with np.errstate(all="ignore"):
        for point in (-1.0, -2.5):
            assert tape([point])[0] == point * point
            for route, g in _every_mode(tape, [point]).items():
                assert g[0] == 2.0 * point, route
            assert tape.hessian([point])[0, 0] == 2.0
            assert tape.hvp([point], [1.0])[0] == 2.0
            g = sg.grad(y, x)
            assert sg.compile([x], [g])([point])[0] == 2.0 * point  # symbolic, too
            assert sg.compile([x], [sg.hessian(y, [x])[0, 0]])([point])[0] == 2.0
            assert sg.compile([x], [sg.jvp_graph(y, x, 1.0)])([point])[0] == 2.0 * point


def test_where_sqrt_example_of_the_issue_has_value_and_gradient_zero():
    x = sg.var("x")
    tape = sg.compile([x], [sg.where(sg.gt(x, 0.0), sg.sqrt(x), 0.0)])
    assert tape([-1.0])[0] == 0.0 and tape.gradient([-1.0])[0] == 0.0
    assert tape([4.0])[0] == 2.0 and tape.gradient([4.0])[0] == 0.25
    # the 0/1 mask multiplies NaN into the value (0 * NaN): that is what where avoids
    masked = sg.compile([x], [sg.gt(x, 0.0) * sg.sqrt(x)])
    with np.errstate(all="ignore"):
        assert math.isnan(masked([-1.0])[0])


def test_taken_branch_is_what_a_python_evaluator_computes_where_the_other_raises():
    # math.log raises ValueError for x <= 0, math.sqrt for x < 0: Python can only evaluate
    # the taken branch; the graph evaluates both and must give exactly the taken one.
    def python(v):
        return math.log(v) if v > 0.0 else math.sqrt(-v)

    def python_derivative(v):
        return 1.0 / v if v > 0.0 else -0.5 / math.sqrt(-v)

    x = sg.var("x")
    tape = sg.compile([x], [sg.where(sg.gt(x, 0.0), sg.log(x), sg.sqrt(-x))])
    for v in (-3.0, -0.5, 0.25, 2.0):
        with np.errstate(all="ignore"):
            assert tape([v])[0] == python(v)
            assert tape.gradient([v])[0] == pytest.approx(python_derivative(v), rel=1e-15)


def test_where_value_is_bit_exact_including_signed_zeros_and_nan_condition():
    c, a, b = sg.var("c"), sg.var("a"), sg.var("b")
    tape = sg.compile([c, a, b], [sg.where(c, a, b)])
    for cv, av, bv, want in ((1.0, -0.0, 5.0, -0.0), (0.0, 5.0, -0.0, -0.0),
                             (-0.0, 1.0, 0.0, 0.0), (math.nan, 3.0, 4.0, 3.0),
                             (2.0, math.inf, math.nan, math.inf)):
        got = tape([cv, av, bv])[0]
        assert got == want and math.copysign(1.0, got) == math.copysign(1.0, want)
    # derivative 0 in the condition, 1 in the taken branch, exactly 0 in the other
    np.testing.assert_array_equal(tape.gradient([1.0, 2.0, math.nan]), [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(tape.gradient([0.0, math.inf, 2.0]), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(tape.jacobian([0.0, math.inf, 2.0], mode="forward")[0],
                                  [0.0, 0.0, 1.0])


def test_where_in_a_batch_picks_the_branch_per_point():
    x = sg.var("x")
    tape = sg.compile([x], [sg.where(sg.ge(x, 0.0), sg.sqrt(x), -x * x)])
    X = np.array([[-2.0], [0.0], [4.0], [-0.5]])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(tape(X)[:, 0], [-4.0, 0.0, 2.0, -0.25])
        # sqrt'(0) = inf: a derivative through an infinite partial is NaN (kernels/reach.py)
        np.testing.assert_array_equal(tape.gradient(X)[:, 0], [4.0, math.nan, 0.25, 1.0])


def test_where_on_numbers_and_arrays():
    assert sg.where(1.0, 2.0, 3.0) == 2.0 and sg.where(0.0, 2.0, 3.0) == 3.0
    assert sg.where(math.nan, 2.0, 3.0) == 2.0
    assert sg.where(True, 2.0, 3.0) == 2.0 and sg.where(np.bool_(False), 2.0, 3.0) == 3.0
    np.testing.assert_array_equal(sg.where(np.array([1.0, 0.0]), [1.0, 2.0], [3.0, 4.0]),
                                  [1.0, 4.0])
    x = sg.var("x")
    assert sg.where(1.0, x, 3.0) is x  # a number condition picks at recording time
    X = sg.variables(3)
    out = sg.where(sg.gt(X, 0.0), X, -X)  # vectorized: a NodeArray
    assert isinstance(out, sg.NodeArray) and out.shape == (3,)
    tape = sg.compile(X, out)
    np.testing.assert_array_equal(tape([-1.0, 2.0, -3.0]), [1.0, 2.0, 3.0])
    obj = np.array([x, x * 2.0], dtype=object)
    out = sg.where(np.array([1.0, 0.0]), obj, 7.0)
    assert out.dtype == object
    np.testing.assert_array_equal(sg.compile([x], list(out))([3.0]), [3.0, 7.0])


# ---- comparisons ------------------------------------------------------------------------------
@pytest.mark.parametrize("name, fn", [("lt", lambda a, b: a < b), ("le", lambda a, b: a <= b),
                                      ("gt", lambda a, b: a > b), ("ge", lambda a, b: a >= b),
                                      ("eq", lambda a, b: a == b), ("ne", lambda a, b: a != b)])
def test_comparisons_are_0_1_nodes_with_zero_derivative_of_every_order(name, fn):
    x, y = sg.var("x"), sg.var("y")
    tape = sg.compile([x, y], [getattr(sg, name)(x, y) * 3.0])
    for a, b in ((1.0, 2.0), (2.0, 1.0), (1.0, 1.0), (0.0, -0.0), (math.nan, 1.0)):
        assert tape([a, b])[0] == 3.0 * float(fn(a, b))
        for route, g in _every_mode(tape, [a, b]).items():
            np.testing.assert_array_equal(g, [0.0, 0.0], err_msg=route)
        np.testing.assert_array_equal(tape.hessian([a, b]), np.zeros((2, 2)))
    assert getattr(sg, name)(1.0, 2.0) == float(fn(1.0, 2.0))  # numbers fold


def test_comparison_operators_raise_and_point_at_the_functions():
    x, y = sg.var("x"), sg.var("y")
    with pytest.raises(TypeError, match="sg.lt"):
        x < y
    with pytest.raises(TypeError, match="sg.eq"):
        x == 1.0


def test_node_equality_is_identity_and_refuses_to_be_a_number():
    x, y = sg.var("x"), sg.var("y")
    assert x == sg.Node(x.graph, x.index) and not (x == y) and x != y
    assert {x: 1}[sg.Node(x.graph, x.index)] == 1 and x in [y, x] and len({x, y, x}) == 2
    for use in (lambda: (x == y) * 2.0, lambda: 2.0 * (x == y), lambda: (x == y) + 1.0,
                lambda: float(x == y), lambda: sum([x == y, x == x])):
        with pytest.raises(TypeError, match="sg.eq"):
            use()


# ---- stop_gradient ----------------------------------------------------------------------------
def test_stop_gradient_passes_the_value_and_no_derivative_of_any_order():
    x, y = sg.var("x"), sg.var("y")
    f = sg.stop_gradient(x * y) * y + x
    tape = sg.compile([x, y], [f])
    assert tape([2.0, 3.0])[0] == 2.0 * 3.0 * 3.0 + 2.0
    for route, g in _every_mode(tape, [2.0, 3.0]).items():
        np.testing.assert_array_equal(g, [1.0, 6.0], err_msg=route)  # d/dy: only the outer y
    np.testing.assert_array_equal(tape.hessian([2.0, 3.0]), np.zeros((2, 2)))
    g = sg.grad(f, [x, y])
    np.testing.assert_array_equal(sg.compile([x, y], list(g))([2.0, 3.0]), [1.0, 6.0])
    assert sg.stop_gradient(2.5) == 2.5


# ---- custom_gradient ---------------------------------------------------------------------------
def test_custom_gradient_value_is_bit_exact_and_derivative_is_the_given_node():
    x = sg.var("x")
    for value_fn in (lambda v: sg.log(v), lambda v: -0.0 * v, lambda v: v * 0.0):
        c = sg.custom_gradient(value_fn(x), [x], [2.0 * x])
        plain = sg.compile([x], [value_fn(x)])
        tape = sg.compile([x], [c])
        for v in (2.0, 0.5, -1.0):
            with np.errstate(all="ignore"):
                got, want = tape([v])[0], plain([v])[0]
            assert got == want or (math.isnan(got) and math.isnan(want))
            assert math.copysign(1.0, got) == math.copysign(1.0, want)
            for route, g in _every_mode(tape, [v]).items():
                assert g[0] == 2.0 * v, route


def test_custom_gradient_second_derivative_is_the_derivative_of_the_partials():
    # log1p(exp(x)) with the stable derivative sigmoid(x) given by hand (JAX's custom_jvp
    # example): second derivatives differentiate the given sigmoid node.
    x = sg.var("x")
    f = sg.custom_gradient(sg.log(1.0 + sg.exp(x)), [x], [sg.sigmoid(x)])
    tape = sg.compile([x], [f])
    for v in (-3.0, 0.0, 2.0, 50.0):
        s = 1.0 / (1.0 + math.exp(-v))
        assert tape.gradient([v])[0] == pytest.approx(s, rel=1e-15)
        assert tape.hessian([v])[0, 0] == pytest.approx(s * (1.0 - s), rel=1e-12)
        h = sg.hessian(f, [x])[0, 0]
        assert sg.compile([x], [h])([v])[0] == pytest.approx(s * (1.0 - s), rel=1e-12)
    # the plain graph overflows at x = 1000; the custom derivative does not
    assert tape.gradient([1000.0])[0] == 1.0


def test_custom_gradient_straight_through_estimator_and_several_variables():
    x, y = sg.var("x"), sg.var("y")
    rounded = sg.custom_gradient(sg.round(x), [x], [1.0])  # straight-through rounding
    tape = sg.compile([x], [rounded * 3.0])
    assert tape([2.6])[0] == 9.0 and tape.gradient([2.6])[0] == 3.0
    f = sg.custom_gradient(x * y, [x, y], [y, x])
    tape = sg.compile([x, y], [f])
    np.testing.assert_array_equal(tape.gradient([2.0, 5.0]), [5.0, 2.0])
    np.testing.assert_array_equal(tape.hessian([2.0, 5.0]), [[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="one partial per wrt node"):
        sg.custom_gradient(x, [x, y], [1.0])
    with pytest.raises(TypeError, match="wrt must be nodes"):
        sg.custom_gradient(x, [2.0], [1.0])


# ---- pow: the Hessian at y = 0 (the bug of the issue) ------------------------------------------
@pytest.mark.parametrize("x0", [4.0, 0.5, 3.0])
def test_pow_hessian_at_zero_exponent_is_symmetric_with_mixed_partial_one_over_x(x0):
    x, y = sg.var("x"), sg.var("y")
    f = x ** y
    tape = sg.compile([x, y], [f])
    want = np.array([[0.0, 1.0 / x0], [1.0 / x0, math.log(x0) ** 2]])
    np.testing.assert_allclose(tape.hessian([x0, 0.0]), want, rtol=1e-15)
    np.testing.assert_allclose([tape.hvp([x0, 0.0], e) for e in np.eye(2)], want, rtol=1e-15)
    H = sg.compile([x, y], list(sg.hessian(f, [x, y]).ravel()))([x0, 0.0]).reshape(2, 2)
    np.testing.assert_allclose(H, want, rtol=1e-15)
    g = sg.grad(f, [x, y])
    J = np.array([sg.compile([x, y], [sg.jvp_graph(g[0], [x, y], list(e))])([x0, 0.0])[0]
                  for e in np.eye(2)])
    np.testing.assert_allclose(J, want[0], rtol=1e-15)
    # and the first derivative there is still 0 in x (x ** 0 = 1 for every x)
    np.testing.assert_allclose(tape.gradient([x0, 0.0]), [0.0, math.log(x0)], rtol=1e-15)


def test_pow_derivatives_at_zero_base_keep_their_documented_values():
    x, y = sg.var("x"), sg.var("y")
    tape = sg.compile([x, y], [x ** y])
    np.testing.assert_array_equal(tape.gradient([0.0, 0.0]), [0.0, 0.0])
    np.testing.assert_array_equal(tape.gradient([0.0, 3.0]), [0.0, 0.0])
    # x ** 0 = 1 for every x, so d/dx = 0 even at NaN; d/dy = 1 * log(NaN) = NaN
    np.testing.assert_array_equal(tape.gradient([math.nan, 0.0]), [0.0, math.nan])
    np.testing.assert_array_equal(tape.hessian([0.0, 2.0]), [[2.0, 0.0], [0.0, 0.0]])


# ---- readable nodes ---------------------------------------------------------------------------
def test_repr_shows_op_and_operands_and_format_explains_itself():
    with sg.Graph():
        a, b = sg.var("f1"), sg.var("f2")
        s = a + b
        assert repr(s) == f"<Node {s.index}: add(f1, f2)>"
        t = sg.sin(s) * 2.5
        assert repr(t) == f"<Node {t.index}: mul_const(#{t.index - 1}, 2.5)>"
        assert repr(a) == "<Node 0: var 'f1'>"
        assert f"{s}" == repr(s)
        with pytest.raises(TypeError, match="no value until it is evaluated"):
            format(s, ".3f")
        assert (sg.sin(a) * (b + 2.0) - 3.0 / a).expr() == "sin(f1) * (f2 + 2.0) - 3.0 / f1"
        assert ((a - b) - (a - b) ** 2).expr() == "f1 - f2 - (f1 - f2) ** 2"
        assert (-(a ** b)).expr() == "-f1 ** f2"  # Python's precedence: -(f1 ** f2)
        assert ((-a) ** b).expr() == "(-f1) ** f2"
        assert (2.0 ** -a).expr() == "2.0 ** (-f1)"
        deep = a
        for _ in range(30):
            deep = deep * deep
        with pytest.raises(ValueError, match="too large to print"):
            deep.expr()
