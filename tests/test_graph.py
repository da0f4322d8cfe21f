"""Recording graphs: operators with numbers of every kind, NumPy object arrays, sg.trace,
compile's dead-code removal, and graphs too deep for any recursive algorithm.

Expected values come from the same formula computed on plain floats / NumPy arrays.
"""

import math

import numpy as np
import pytest

import scalargraph as sg

RTOL = 1e-14

# (expression on a node x, its value on a float, its derivative on a float)
UNARY_EXPRESSIONS = {
    "2 * x": (lambda x: 2 * x, lambda v: 2 * v, lambda v: 2.0),
    "x * 2": (lambda x: x * 2, lambda v: 2 * v, lambda v: 2.0),
    "np.float64(2) * x": (lambda x: np.float64(2) * x, lambda v: 2 * v, lambda v: 2.0),
    "x * np.float64(2)": (lambda x: x * np.float64(2), lambda v: 2 * v, lambda v: 2.0),
    "np.int64(3) * x": (lambda x: np.int64(3) * x, lambda v: 3 * v, lambda v: 3.0),
    "np.float32(0.5) * x": (lambda x: np.float32(0.5) * x, lambda v: 0.5 * v, lambda v: 0.5),
    "np.array(2.0) * x": (lambda x: np.array(2.0) * x, lambda v: 2 * v, lambda v: 2.0),
    "x + 3": (lambda x: x + 3, lambda v: v + 3, lambda v: 1.0),
    "3 + x": (lambda x: 3 + x, lambda v: v + 3, lambda v: 1.0),
    "np.float64(3) + x": (lambda x: np.float64(3) + x, lambda v: v + 3, lambda v: 1.0),
    "x - 3": (lambda x: x - 3, lambda v: v - 3, lambda v: 1.0),
    "3 - x": (lambda x: 3 - x, lambda v: 3 - v, lambda v: -1.0),
    "np.float64(3) - x": (lambda x: np.float64(3) - x, lambda v: 3 - v, lambda v: -1.0),
    "-x": (lambda x: -x, lambda v: -v, lambda v: -1.0),
    "+x": (lambda x: +x, lambda v: v, lambda v: 1.0),
    "x / 3": (lambda x: x / 3, lambda v: v / 3, lambda v: 1 / 3),
    "3 / x": (lambda x: 3 / x, lambda v: 3 / v, lambda v: -3 / v ** 2),
    "np.float64(3) / x": (lambda x: np.float64(3) / x, lambda v: 3 / v, lambda v: -3 / v ** 2),
    "x ** 2": (lambda x: x ** 2, lambda v: v ** 2, lambda v: 2 * v),
    "x ** 3": (lambda x: x ** 3, lambda v: v ** 3, lambda v: 3 * v ** 2),
    "x ** 0.5": (lambda x: x ** 0.5, lambda v: v ** 0.5, lambda v: 0.5 / v ** 0.5),
    "x ** -1": (lambda x: x ** -1, lambda v: 1 / v, lambda v: -1 / v ** 2),
    "x ** np.float64(2)": (lambda x: x ** np.float64(2), lambda v: v ** 2, lambda v: 2 * v),
    "2 ** x": (lambda x: 2 ** x, lambda v: 2 ** v, lambda v: 2 ** v * math.log(2)),
    "np.float64(2) ** x": (lambda x: np.float64(2) ** x, lambda v: 2 ** v,
                           lambda v: 2 ** v * math.log(2)),
    "x * x": (lambda x: x * x, lambda v: v * v, lambda v: 2 * v),
    "x / x": (lambda x: x / x, lambda v: 1.0, lambda v: 0.0),
    "x - x": (lambda x: x - x, lambda v: 0.0, lambda v: 0.0),
    "abs(x)": (lambda x: abs(x), lambda v: abs(v), lambda v: math.copysign(1.0, v)),
    "np.exp(x)": (lambda x: np.exp(x), math.exp, math.exp),
    "np.sin(x)": (lambda x: np.sin(x), math.sin, math.cos),
    "np.tanh(x)": (lambda x: np.tanh(x), math.tanh, lambda v: 1 - math.tanh(v) ** 2),
    "np.sqrt(x)": (lambda x: np.sqrt(x), math.sqrt, lambda v: 0.5 / math.sqrt(v)),
    "np.log(x)": (lambda x: np.log(x), math.log, lambda v: 1 / v),
    "np.square(x)": (lambda x: np.square(x), lambda v: v * v, lambda v: 2 * v),
}


@pytest.mark.parametrize("name", list(UNARY_EXPRESSIONS))
def test_operators_with_numbers_of_every_kind_on_either_side(name):
    build, value, derivative = UNARY_EXPRESSIONS[name]
    x = sg.var("x")
    node = build(x)
    assert type(node) is sg.Node, f"{name} gave {type(node).__name__}, not a Node"
    tape = sg.compile([x], [node])
    for v in (0.3, 1.7, 2.5):
        assert tape([v])[0] == pytest.approx(value(v), rel=RTOL)
        assert tape.gradient([v])[0] == pytest.approx(derivative(v), rel=RTOL, abs=1e-300)


@pytest.mark.parametrize("name, build, grad", [
    ("x ** y", lambda x, y: x ** y, lambda a, b: (b * a ** (b - 1), a ** b * math.log(a))),
    ("x * y", lambda x, y: x * y, lambda a, b: (b, a)),
    ("x / y", lambda x, y: x / y, lambda a, b: (1 / b, -a / b ** 2)),
    ("x - y", lambda x, y: x - y, lambda a, b: (1.0, -1.0)),
    ("np.maximum(x, y)", lambda x, y: np.maximum(x, y),
     lambda a, b: (1.0, 0.0) if a > b else (0.0, 1.0)),
    ("np.power(x, y)", lambda x, y: np.power(x, y),
     lambda a, b: (b * a ** (b - 1), a ** b * math.log(a))),
])
def test_binary_operators_between_nodes(name, build, grad):
    x, y = sg.var("x"), sg.var("y")
    tape = sg.compile([x, y], [build(x, y)])
    for a, b in ((1.5, 0.7), (0.4, 2.2)):
        np.testing.assert_allclose(tape.gradient([a, b]), grad(a, b), rtol=RTOL)


def test_a_node_is_not_swallowed_into_a_numpy_scalar_or_array():
    x = sg.var("x")
    for result in (np.float64(2) * x, np.float64(2) + x, np.float64(2) - x,
                   np.float64(2) / x, np.float64(2) ** x, np.exp(x)):
        assert type(result) is sg.Node


# ---- NumPy object arrays of nodes ---------------------------------------------------------
def _object_vars(n, prefix):
    return np.array([sg.var(f"{prefix}{i}") for i in range(n)], dtype=object)


def test_object_arrays_matmul_dot_and_sum():
    rng = np.random.default_rng(3)
    W = rng.normal(size=(3, 4))
    hn = _object_vars(4, "h")
    h = rng.normal(size=4)
    outs = list(W @ hn) + list(np.dot(W, hn)) + [sum(hn), np.sum(hn), hn @ hn]
    tape = sg.compile(list(hn), outs)
    expected = np.concatenate([W @ h, W @ h, [h.sum(), h.sum(), h @ h]])
    np.testing.assert_allclose(tape(h), expected, rtol=RTOL)
    jac = tape.jacobian(h, mode="reverse")
    np.testing.assert_allclose(jac[:3], W, rtol=RTOL)
    np.testing.assert_allclose(jac[3:6], W, rtol=RTOL)
    np.testing.assert_allclose(jac[6:8], np.ones((2, 4)), rtol=RTOL)
    np.testing.assert_allclose(jac[8], 2 * h, rtol=RTOL)


@pytest.mark.parametrize("ufunc, derivative", [
    (np.exp, np.exp), (np.sin, np.cos), (np.cos, lambda v: -np.sin(v)),
    (np.tanh, lambda v: 1 - np.tanh(v) ** 2), (np.tan, lambda v: 1 + np.tan(v) ** 2),
    (np.sqrt, lambda v: 0.5 / np.sqrt(v)), (np.log, lambda v: 1 / v),
    (np.abs, np.sign), (np.negative, lambda v: -np.ones_like(v)),
])
def test_numpy_ufuncs_on_object_arrays(ufunc, derivative):
    xn = _object_vars(5, "x")
    out = ufunc(xn)
    assert out.dtype == object and out.shape == (5,)
    tape = sg.compile(list(xn), list(out))
    x = np.linspace(0.2, 1.4, 5)
    np.testing.assert_allclose(tape(x), ufunc(x), rtol=RTOL)
    np.testing.assert_allclose(tape.jacobian(x), np.diag(derivative(x)), rtol=RTOL)


def test_dense_layer_tanh_of_W_h_plus_b():
    rng = np.random.default_rng(11)
    W, b, h = rng.normal(size=(3, 5)), rng.normal(size=3), rng.normal(size=5)
    Wn = np.array([[sg.var(f"W{i}{j}") for j in range(5)] for i in range(3)], dtype=object)
    bn, hn = _object_vars(3, "b"), _object_vars(5, "h")
    out = np.tanh(Wn @ hn + bn)
    inputs = list(Wn.ravel()) + list(bn) + list(hn)
    tape = sg.compile(inputs, list(out))
    point = np.concatenate([W.ravel(), b, h])
    a = np.tanh(W @ h + b)
    np.testing.assert_allclose(tape(point), a, rtol=RTOL)
    jac = tape.jacobian(point)
    slope = 1 - a ** 2
    d_W = np.zeros((3, 3, 5))
    for i in range(3):
        d_W[i, i] = slope[i] * h          # d a_i / d W_ij = (1 - a_i^2) h_j (Prince eq. 7.40)
    np.testing.assert_allclose(jac[:, :15], d_W.reshape(3, 15), rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(jac[:, 15:18], np.diag(slope), rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(jac[:, 18:], slope[:, None] * W, rtol=RTOL, atol=1e-15)


def test_user_functions_map_over_arrays_and_lists():
    xn = _object_vars(3, "x")
    out = sg.relu(xn)
    assert out.shape == (3,) and all(type(e) is sg.Node for e in out)
    np.testing.assert_array_equal(sg.relu(np.array([-1.0, 2.0])), [0.0, 2.0])
    pair = sg.maximum(xn, 0.5)
    tape = sg.compile(list(xn), list(pair))
    np.testing.assert_array_equal(tape([0.0, 1.0, 0.5]), [0.5, 1.0, 0.5])


# ---- sg.trace -----------------------------------------------------------------------------
def test_trace_compiles_a_python_function_with_named_inputs():
    def model(w, b):
        return sg.sigmoid(w * 2.0 + b), w * b

    tape = sg.trace(model, 2)
    assert list(tape.input_names) == ["w", "b"]
    assert tape.n_outputs == 2
    s = 1 / (1 + math.exp(-(0.5 * 2.0 - 0.25)))
    np.testing.assert_allclose(tape([0.5, -0.25]), [s, -0.125], rtol=RTOL)
    np.testing.assert_allclose(tape.jacobian([0.5, -0.25]),
                               [[2 * s * (1 - s), s * (1 - s)], [-0.25, 0.5]], rtol=RTOL)


def test_trace_records_into_a_private_graph():
    before = len(sg.current_graph())
    sg.trace(lambda a: sg.exp(a) * a, 1)
    assert len(sg.current_graph()) == before


def test_trace_of_a_constant_function_and_of_the_identity():
    assert sg.trace(lambda a: 4.0, 1)([1.0]).tolist() == [4.0]
    assert sg.trace(lambda a: 4.0, 1).gradient([1.0]).tolist() == [0.0]
    assert sg.trace(lambda a: a, 1).gradient([7.0]).tolist() == [1.0]


# ---- truth values -------------------------------------------------------------------------
def test_a_node_has_no_truth_value():
    x = sg.var("x")
    with pytest.raises(TypeError, match="maximum|relu"):
        bool(x)
    with pytest.raises(TypeError, match="maximum|relu"):
        if x > 0:
            pass
    with pytest.raises(TypeError, match="maximum|relu"):
        if x:
            pass
    for compare in (lambda: x < 1, lambda: x <= 1, lambda: x >= 1, lambda: 0 < x):
        with pytest.raises(TypeError, match="maximum|relu"):
            compare()


# ---- compile: dead code and positions -----------------------------------------------------
def test_compile_removes_dead_code():
    x, y = sg.var("x"), sg.var("y")
    dead = [sg.exp(x) for _ in range(10)]
    kept = sg.sin(x) * y
    also_dead = kept + 1.0
    tape = sg.compile([x, y], [kept])
    assert tape.n_nodes == 4  # x, y, sin, mul
    assert tape.op_counts() == {"input": 2, "sin": 1, "mul": 1}
    for node in dead + [also_dead]:
        with pytest.raises(ValueError, match="dead code|not in this tape"):
            tape.index(node)
    assert [tape.index(n) for n in (x, y)] == [0, 1]
    assert tape.index(kept) == 3


def test_inputs_come_first_in_the_order_given():
    a, b, c = sg.var("a"), sg.var("b"), sg.var("c")
    f = a - 2.0 * b + 3.0 * c
    tape = sg.compile([c, a, b], [f])
    assert [tape.index(n) for n in (c, a, b)] == [0, 1, 2]
    assert list(tape.input_names) == ["c", "a", "b"]
    np.testing.assert_array_equal(tape.gradient([1.0, 1.0, 1.0]), [3.0, 1.0, -2.0])


def test_graph_context_records_into_a_fresh_graph():
    outer = sg.var("outer")
    with sg.Graph() as g:
        inner = sg.var("inner")
        f = inner * 2.0
        assert sg.current_graph() is g
    assert inner.graph is g and outer.graph is not g
    assert sg.compile([inner], [f])([1.5]).tolist() == [3.0]


# ---- depth: nothing recurses --------------------------------------------------------------
def test_a_million_node_chain_builds_compiles_and_differentiates():
    # y_k = a y_{k-1} + b, N times: y_N = a^N x + b (1 - a^N) / (1 - a), dy_N/dx = a^N.
    a, b, steps = 0.999999, 1e-6, 500_000
    x = sg.var("x")
    y = x
    for _ in range(steps):
        y = y * a + b
    tape = sg.compile([x], [y])
    assert tape.n_nodes == 2 * steps + 1
    aN = a ** steps
    assert tape([1.0])[0] == pytest.approx(aN + b * (1 - aN) / (1 - a), rel=1e-9)
    assert tape.gradient([1.0])[0] == pytest.approx(aN, rel=1e-9)
    assert tape.jvp([1.0], [1.0])[0] == pytest.approx(aN, rel=1e-9)
    assert tape.index(y) == tape.n_nodes - 1
