"""Derivatives as graphs (sg.grad, sg.jvp_graph, sg.hessian) and second order on the tape
(Tape.hvp, Tape.hessian), each against an oracle from outside the code under test.

Oracles and tolerances:

* closed forms (Domke d^2y/dx^2, per-op second derivatives written by hand in reference.py);
* the other path: the numeric sweeps (tape.gradient, tape.jvp) for the symbolic graphs, and
  the compiled gradient graph's jvp for the forward-over-reverse kernels;
* central finite differences of the gradient, h = cbrt(eps) * max(1, |x|).
"""

import pathlib
import sys

import numpy as np
import pytest
from hypothesis import given, note, settings

import scalargraph as sg
from scalargraph import ops, second_order
from scalargraph.bench import workloads
from scalargraph.graph import _record

import interrupt
import reference
import strategies

CLOSED_RTOL = 1e-12   # closed forms vs AD: a few roundings of the same expressions
AD_RTOL = 1e-11       # two AD paths: same partials, other products and summation order
FD_RTOL = 1e-6        # central differences of the gradient: truncation ~h^2, rounding ~eps/h
FD_RANDOM_RTOL = 1e-4  # the same on random DAGs, whose third derivatives are not bounded
EPS = np.finfo(np.float64).eps
ROOT = pathlib.Path(__file__).resolve().parents[1]


def fd_hessian(tape, x, output=None):
    """Hessian by central differences of tape.gradient, one pair per input (rows)."""
    n = tape.n_inputs
    hess = np.empty((n, n))
    for j in range(n):
        h = np.cbrt(EPS) * max(1.0, abs(x[j]))
        up, down = x.copy(), x.copy()
        up[j] += h
        down[j] -= h
        hess[:, j] = (tape.gradient(up, output) - tape.gradient(down, output)) / (up[j] - down[j])
    return hess


def assert_close(actual, expected, rtol):
    """|actual - expected| <= rtol * max(1, largest |expected|), elementwise."""
    expected = np.asarray(expected, dtype=float)
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=0, atol=rtol * scale)


# ---- the Domke graph (Prince problem 7.12): closed form of y'' ---------------------------
def domke_closed_form(x):
    """y = e^u + sin u with u = e^x + e^2x: (y, y', y'')."""
    u = np.exp(x) + np.exp(2 * x)
    du = np.exp(x) + 2 * np.exp(2 * x)
    ddu = np.exp(x) + 4 * np.exp(2 * x)
    y = np.exp(u) + np.sin(u)
    dy = (np.exp(u) + np.cos(u)) * du
    ddy = (np.exp(u) - np.sin(u)) * du ** 2 + (np.exp(u) + np.cos(u)) * ddu
    return y, dy, ddy


def domke_graph():
    x = sg.var("x")
    f1 = sg.exp(x)
    f2 = f1 ** 2
    f3 = f1 + f2
    return x, sg.exp(f3) + sg.sin(f3)


@pytest.mark.parametrize("x0", [-1.0, 0.0, 0.3, 1.0])
def test_domke_second_derivative_matches_closed_form_on_every_path(x0):
    x, y = domke_graph()
    dy = sg.grad(y, x)
    ddy = sg.grad(dy, x)
    tape = sg.compile([x], [y, dy, ddy, sg.hessian(y, [x])[0, 0]])
    _, d1, d2 = domke_closed_form(x0)
    assert_close(tape([x0]), [domke_closed_form(x0)[0], d1, d2, d2], CLOSED_RTOL)
    plain = sg.compile([x], [y])
    assert_close(plain.hvp([x0], [1.0]), [d2], CLOSED_RTOL)
    assert_close(plain.hessian([x0]), [[d2]], CLOSED_RTOL)
    assert_close(second_order.hvp_symbolic(plain, [x0], [1.0]), [d2], CLOSED_RTOL)


def test_domke_jvp_graph_matches_closed_form_and_is_linear_in_a_node_direction():
    x, y = domke_graph()
    v = sg.var("v")
    t = sg.jvp_graph(y, x, v)
    tape = sg.compile([x, v], [t])
    _, d1, _ = domke_closed_form(0.4)
    assert_close(tape([0.4, 2.5]), [2.5 * d1], CLOSED_RTOL)


# ---- the toy model (Prince eq. 7.5, loss 7.6): Hessian vs differences of the gradient ------
def test_toy_model_hessian_matches_finite_differences_of_the_gradient():
    w = workloads.toy_model(4)
    tape, x = w.tape, w.x
    expected = fd_hessian(tape, x)
    assert_close(tape.hessian(x), expected, FD_RTOL)
    H = sg.hessian(w.outputs[0], w.inputs)
    assert isinstance(H, np.ndarray) and H.shape == (8, 8)
    symbolic = sg.compile(w.inputs, list(H.ravel()))(x).reshape(8, 8)
    assert_close(symbolic, expected, FD_RTOL)
    assert_close(symbolic, tape.hessian(x), AD_RTOL)


def test_hessians_are_symmetric_and_hvp_is_hessian_times_v():
    w = workloads.toy_model(3)
    tape, x = w.tape, w.x
    H = tape.hessian(x)
    assert_close(H, H.T, AD_RTOL)
    rng = np.random.default_rng(3)
    for _ in range(3):
        v = rng.normal(size=8)
        assert_close(tape.hvp(x, v), H @ v, AD_RTOL)
        assert_close(second_order.hvp_symbolic(tape, x, v), H @ v, AD_RTOL)


# ---- per-op second partials (derived from the table) vs hand-written ones ------------------
def _one_op_tape(op, constant):
    with sg.Graph() as g:
        x, y = sg.var("x"), sg.var("y")
        if op.kind == ops.UNARY:
            z = _record(g, op.code, x.index, -1)
        elif op.kind == ops.BINARY:
            z = _record(g, op.code, x.index, y.index)
        else:
            g.consts.append(constant)
            z = _record(g, op.code, x.index, len(g.consts) - 1)
        return sg.compile([x, y], [z]), z, [x, y]


def _operand(rng, domain):
    v = rng.uniform(0.3, 2.0)
    if domain == ops.POSITIVE:
        return v
    if domain == ops.UNIT:
        v = rng.uniform(0.1, 0.9)
    elif domain == ops.ABOVE_ONE:
        return 1.0 + v
    elif domain == ops.ABOVE_MINUS_ONE:
        return v - 0.2
    return v if rng.random() < 0.5 else -v


SECOND_ORDER_OPS = [op for op in ops.OPS if op.arity >= 1]


@pytest.mark.parametrize("op", SECOND_ORDER_OPS, ids=lambda op: op.name)
def test_each_op_second_derivatives_match_the_hand_written_ones(op):
    rng = np.random.default_rng(op.code)
    for _ in range(5):
        xv = _operand(rng, op.domain)
        yv = _operand(rng, ops.POSITIVE if op.name in ("rpow_const", "pow") else op.domain)
        if op.name in ("maximum", "minimum", "gt") and abs(xv - yv) < 0.1:
            yv = xv + 0.5  # away from the tie (kinks are tested exactly elsewhere)
        tape, z, xy = _one_op_tape(op, yv)
        expected = np.array(reference.SECOND[op.name](xv, yv), dtype=float)
        if op.arity == 1:
            expected[:, 1] = expected[1, :] = 0.0  # y is not an operand of this tape
        point = np.array([xv, yv])
        # tape.hessian's entry (s, j) is d(gradient_s)/dx_j, as reference.SECOND's row s is
        # d(partial_s)/d(operands) and sg.hessian's row s (below); link's
        # d(partial_x = y)/dy = 1 is not symmetric.
        assert_close(tape.hessian(point), expected, CLOSED_RTOL * 100)
        symbolic = sg.compile(xy, list(sg.hessian(z, xy).ravel()))(point).reshape(2, 2)
        assert_close(symbolic, expected, CLOSED_RTOL * 100)


def test_second_derivatives_at_kinks_are_zero_and_first_ones_follow_the_table():
    x = sg.var("x")
    y = sg.relu(x) * 3.0 + abs(x) + sg.maximum(x, 0.0)
    tape = sg.compile([x], [y])
    assert tape.hessian([0.0])[0, 0] == 0.0
    g = sg.grad(y, x)
    # relu'(0) = 0, abs'(0) = 0, maximum ties go to y: all three derivatives are 0 at x = 0.
    assert sg.compile([x], [g])([0.0])[0] == 0.0
    assert sg.compile([x], [g])([1.0])[0] == 5.0


# ---- random DAGs: the symbolic graph vs the numeric sweeps ---------------------------------
@settings(max_examples=40)
@given(strategies.dags(max_inputs=3, max_nodes=14, max_outputs=2))
def test_grad_graph_matches_reverse_sweep_on_random_dags(case):
    tape, x = case
    note(strategies.describe(tape, x))
    _, inputs, outputs = second_order.graph_of(tape)
    for k in range(tape.n_outputs):
        g = sg.grad(outputs[k], inputs)
        assert isinstance(g, sg.NodeArray) and g.shape == (tape.n_inputs,)
        assert_close(sg.compile(inputs, g)(x), tape.gradient(x, k), AD_RTOL)
    v = np.linspace(-1.0, 1.0, tape.n_inputs)
    t = sg.jvp_graph(outputs, inputs, list(v))
    assert_close(sg.compile(inputs, t)(x), tape.jvp(x, v), AD_RTOL)


@settings(max_examples=40)
@given(strategies.dags(max_inputs=3, max_nodes=12, max_outputs=1))
def test_hvp_matches_gradient_graph_and_finite_differences_on_random_dags(case):
    tape, x = case
    note(strategies.describe(tape, x))
    H = tape.hessian(x)
    symbolic = np.array([second_order.hvp_symbolic(tape, x, e) for e in np.eye(tape.n_inputs)])
    assert_close(H, symbolic, AD_RTOL)
    assert_close(H, fd_hessian(tape, x), FD_RANDOM_RTOL)
    v = np.arange(1.0, tape.n_inputs + 1.0)
    assert_close(tape.hvp(x, v), H @ v, AD_RTOL)


@settings(max_examples=25)
@given(strategies.dags(max_inputs=2, max_nodes=8, max_outputs=1))
def test_grad_of_grad_is_the_hessian_and_compiles_again(case):
    tape, x = case
    note(strategies.describe(tape, x))
    _, inputs, outputs = second_order.graph_of(tape)
    g = sg.grad(outputs[0], inputs)
    rows = [sg.grad(g[i], inputs) for i in range(tape.n_inputs)]
    hess_tape = sg.compile(inputs, [r for row in rows for r in row])
    n = tape.n_inputs
    assert_close(hess_tape(x).reshape(n, n), tape.hessian(x), AD_RTOL)


# ---- structure of the derivative graph ---------------------------------------------------
def test_grad_is_linear_in_graph_size_where_paths_are_exponential():
    depth = 40  # 2^40 input-to-output paths
    x = sg.var("x")
    h = x
    for _ in range(depth):
        h = sg.sin(h) + sg.cos(h)
    before = len(x.graph)
    g = sg.grad(h, x)
    assert len(x.graph) - before < 12 * depth
    tape = sg.compile([x], [h])
    assert_close(sg.compile([x], [g])([0.2]), tape.gradient([0.2]), AD_RTOL)


def test_grad_walks_a_deep_chain_without_recursion():
    x = sg.var("x")
    h = x
    for _ in range(5000):
        h = sg.sin(h) * 0.999 + 1e-5  # 15,000 nodes deep, far past the recursion limit
    assert sys.getrecursionlimit() < 15000
    g = sg.grad(h, x)
    tape = sg.compile([x], [h])
    assert_close(sg.compile([x], [g])([0.5]), tape.gradient([0.5]), AD_RTOL)


def test_constant_partials_fold_and_zero_ones_create_no_node():
    x, z = sg.var("x"), sg.var("z")
    y = 3.0 * x + 1.0
    before = len(x.graph)
    gx, gz = sg.grad(y, [x, z])
    # d(3x + 1)/dx folds to the number 3.0 and dy/dz to 0.0: one const node each, no product.
    assert len(x.graph) - before == 2
    assert gx.op == "const" and gz.op == "const"
    assert sg.compile([x, z], [gx, gz])([1.0, 2.0]).tolist() == [3.0, 0.0]
    assert sg.grad(x, x).op == "const"  # dx/dx = 1


def test_grad_returns_the_kind_of_wrt():
    xs = sg.variables(3)
    y = sg.sum(xs * xs)
    assert isinstance(sg.grad(y, xs), sg.NodeArray)
    assert isinstance(sg.grad(y, xs[0]), sg.Node)
    listed = sg.grad(y, [xs[0], xs[1]])
    assert isinstance(listed, np.ndarray) and listed.dtype == object and listed.shape == (2,)
    assert isinstance(sg.hessian(y, xs), sg.NodeArray) and sg.hessian(y, xs).shape == (3, 3)
    assert sg.compile(xs, sg.grad(y, xs))([1.0, 2.0, 3.0]).tolist() == [2.0, 4.0, 6.0]


def test_intermediate_wrt_gets_its_adjoint():
    x = sg.var("x")
    f = sg.exp(x)
    y = f * f + x
    tape = sg.compile([x], [y])
    gf = sg.grad(y, f)
    assert_close(sg.compile([x], [gf])([0.7]), [tape.adjoints([0.7])[tape.index(f)]], AD_RTOL)


# ---- bad input ---------------------------------------------------------------------------
def test_bad_arguments_raise_clear_errors():
    x = sg.var("x")
    y = sg.sin(x)
    with pytest.raises(TypeError, match="must be nodes"):
        sg.grad(y, [x, 1.0])
    with pytest.raises(TypeError, match="one scalar node"):
        sg.grad([y, y], x)
    with sg.Graph():
        other = sg.var("o")
    with pytest.raises(ValueError, match="another graph"):
        sg.grad(y, other)
    with pytest.raises(ValueError, match="one direction per node"):
        sg.jvp_graph(y, [x], [1.0, 2.0])
    tape = sg.compile([x], [y])
    with pytest.raises(ValueError, match="direction v of length 1"):
        tape.hvp([0.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="expected 1 input value"):
        tape.hessian([0.0, 1.0])


def test_multi_output_tapes_need_an_output_index():
    x = sg.var("x")
    tape = sg.compile([x], [x * x, sg.sin(x)])
    with pytest.raises(ValueError, match="output=k"):
        tape.hvp([1.0], [1.0])
    assert_close(tape.hvp([1.0], [1.0], output=1), [-np.sin(1.0)], CLOSED_RTOL)
    assert_close(tape.hessian([1.0], output=0), [[2.0]], CLOSED_RTOL)


def test_hessian_rows_are_the_hvps_of_unit_vectors_in_any_slices(monkeypatch):
    # hessian() runs its rows in a compiled loop, in slices of ROWS_WORK node-rows per call:
    # each column must be hvp(x, e_j) bit for bit, and slices of one row change nothing.
    rng = np.random.default_rng(3)
    xs = sg.variables(12)
    f = sg.sum(sg.sin(xs[:-1] * xs[1:])) + sg.exp(xs[0] * xs[5]) * sg.tanh(xs[11])
    tape = sg.compile(xs, [f, xs[3] * xs[4]])
    x = rng.uniform(-1, 1, 12)
    for output in (0, 1):
        hess = tape.hessian(x, output=output)
        cols = np.array([tape.hvp(x, np.eye(12)[j], output=output) for j in range(12)]).T
        assert hess.tobytes() == np.ascontiguousarray(cols).tobytes()
        monkeypatch.setattr(second_order, "ROWS_WORK", 1)
        assert tape.hessian(x, output=output).tobytes() == hess.tobytes()
        monkeypatch.undo()


def test_ctrl_c_stops_a_large_hessian_between_slices():
    result = interrupt.interrupted("""
        import numpy as np
        import scalargraph as sg
        x = sg.variables(3000)
        tape = sg.compile(x, [sg.sum(sg.sin(x[:-1] * x[1:]))])
        tape.hessian(np.full(3000, 0.5))  # compiled first
    """, "scalargraph.kernels.second", "hessian_rows", "tape.hessian(np.full(3000, 0.5))")
    assert result["latency"] is not None, f"the Hessian ran to its end: {result}"
    assert result["latency"] < 2.0, result  # a slice is 15-60 ms


def test_hessian_through_custom_partials_is_the_jacobian_of_the_gradient():
    # Custom partials that are not a gradient: the Hessian is not symmetric. tape.hessian
    # returned its transpose (row j = H e_j), against tape.sparse_hessian, sg.hessian, hvp
    # and finite differences of the gradient (entry (i, j) = d gradient_i / d x_j).
    x, y = sg.var("x"), sg.var("y")
    f = sg.custom_gradient(x * x * y, [x, y], [sg.sin(x) * y, sg.cos(y)])
    tape = sg.compile([x, y], [f])
    p = np.array([-1.0, 2.0])
    want = np.array([[np.cos(-1.0) * 2.0, np.sin(-1.0)], [0.0, -np.sin(2.0)]])  # closed form
    H = tape.hessian(p)
    np.testing.assert_allclose(H, want, rtol=1e-15, atol=0)
    h = 1e-6
    fd = np.stack([(tape.gradient(p + h * e) - tape.gradient(p - h * e)) / (2 * h)
                   for e in np.eye(2)], 1)
    np.testing.assert_allclose(H, fd, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(H[:, 1], tape.hvp(p, [0.0, 1.0]), rtol=1e-15, atol=0)
    np.testing.assert_allclose(H, np.asarray(tape.sparse_hessian(p).todense()), rtol=1e-15,
                               atol=0)
    graph = sg.compile([x, y], list(np.asarray(sg.hessian(f, [x, y]), dtype=object).ravel()))
    np.testing.assert_allclose(H.ravel(), graph(p), rtol=1e-15, atol=0)
    hess = sg.hessian_fn(lambda a, b: sg.custom_gradient(a * a * b, [a, b],
                                                          [sg.sin(a) * b, sg.cos(b)]),
                         argnums=(0, 1))(-1.0, 2.0)
    np.testing.assert_allclose(np.array(hess, dtype=float), want, rtol=1e-15, atol=0)
    # with a data argument hessian_fn takes the parameters' columns from hvp: same matrix
    hess = sg.hessian_fn(lambda a, b, d: d * sg.custom_gradient(a * a * b, [a, b],
                                                                [sg.sin(a) * b, sg.cos(b)]),
                         argnums=(0, 1))(-1.0, 2.0, 1.0)
    np.testing.assert_allclose(np.array(hess, dtype=float), want, rtol=1e-15, atol=0)


def test_sparse_hessian_through_custom_partials_is_not_symmetrized():
    # The star coloring's recovery reads (i, j) from row j when j shares its color in row i:
    # right for a symmetric Hessian only. Custom partials that are not a gradient gave
    # sparse_hessian entries of the transpose (here (2, 1) = H[1, 2], 1.91, where H[2, 1] = 0).
    n = 8
    xs = [sg.var(f"x{i}") for i in range(n)]
    value = sum(xs[i] * xs[i + 1] for i in range(n - 1))
    partials = [2.0 * sg.sin(xs[i + 1]) for i in range(n - 1)] + [0.0 * xs[0] + 1.0]
    tape = sg.compile(xs, [sg.custom_gradient(value, xs, partials)])
    p = np.linspace(0.1, 0.8, n)
    want = np.zeros((n, n))  # d partial_i / d x_j, closed form
    for i in range(n - 1):
        want[i, i + 1] = 2.0 * np.cos(p[i + 1])
    sparse = np.asarray(tape.sparse_hessian(p).todense())
    np.testing.assert_allclose(sparse, want, rtol=1e-15, atol=0)
    np.testing.assert_allclose(tape.hessian(p), want, rtol=1e-15, atol=0)
    plan = tape.sparse_plan(kind="hessian")
    np.testing.assert_allclose(np.asarray(tape.sparse_hessian(p, plan=plan).todense()), want,
                               rtol=1e-15, atol=0)
