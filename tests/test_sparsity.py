"""Sparse Jacobians and Hessians (scalargraph/sparsity.py, coloring.py).

Oracles from outside the code under test: the dense Jacobian and Hessian of the tape (other
kernels), closed-form patterns of textbook graphs and stencils, brute-force coloring checks,
and Newton's quadratic convergence on the Bratu problem.
"""

import importlib.util
import os
import pickle
import sys

import numpy as np
import pytest
from hypothesis import given

scipy_sparse = pytest.importorskip("scipy.sparse")

import scalargraph as sg  # noqa: E402
from scalargraph import coloring, ops, sparsity  # noqa: E402
from scalargraph.bench.stencils import bratu, banded_chain  # noqa: E402
from scalargraph.second_order import graph_of  # noqa: E402

import strategies  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HESSIAN_RTOL = 1e-12  # compressed H v sums several columns at once: rounding, not bits


def _nonzero(a):
    return np.asarray(a) != 0


def _check_patterns(tape, x):
    """Pattern contains every nonzero of the dense Jacobian/Hessian; values match dense."""
    dense = tape.jacobian(x)
    pattern = tape.jacobian_sparsity()
    assert pattern.dtype == bool and pattern.shape == dense.shape
    assert not np.any(_nonzero(dense) & ~pattern.toarray())
    # forward and reverse propagation find the same pattern
    assert (tape.jacobian_sparsity("forward") != tape.jacobian_sparsity("reverse")).nnz == 0
    for mode in ("forward", "reverse"):
        sparse = tape.sparse_jacobian(x, mode=mode)
        np.testing.assert_array_equal(sparse.toarray(), tape.jacobian(x, mode=mode))
    for k in range(tape.n_outputs):
        H = tape.hessian(x, k)
        hp = tape.hessian_sparsity(k)
        assert (hp != hp.T).nnz == 0
        assert not np.any(_nonzero(H) & ~hp.toarray())
        scale = max(1.0, np.abs(H).max())
        np.testing.assert_allclose(tape.sparse_hessian(x, k).toarray(), H,
                                   rtol=HESSIAN_RTOL, atol=HESSIAN_RTOL * scale)


# ---- the op table ---------------------------------------------------------------------------

def _single_op_tape(op):
    """A tape of two inputs and one node, op applied to them (to x and the constant 1.7 for
    CONST_RIGHT, to x for UNARY): y is an input with no path, its column must stay empty.
    Returns (tape, five points inside the op's domain)."""
    rng = np.random.default_rng(op.code)
    arg1 = {ops.BINARY: 1, ops.CONST_RIGHT: 0}.get(op.kind, -1)
    tape = sg.Tape([ops.INPUT, ops.INPUT, op.code], [0, 1, 0], [-1, -1, arg1], [1.7], [2])
    lo = 0.5 if op.domain in (ops.POSITIVE, ops.NONZERO) else -2.0
    return tape, [rng.uniform(lo, 2.0, 2) for _ in range(5)]


COMPUTED = [op for op in ops.OPS if op.kind not in (ops.INPUT_KIND, ops.CONST_KIND)]


@pytest.mark.parametrize("op", COMPUTED, ids=lambda op: op.name)
def test_every_op_pattern_holds_the_dense_nonzeros_and_is_tight_where_smooth(op):
    tape, points = _single_op_tape(op)
    pattern = tape.jacobian_sparsity().toarray()[0]
    hessian = tape.hessian_sparsity().toarray()
    seen_j = np.zeros(2, dtype=bool)
    seen_h = np.zeros((2, 2), dtype=bool)
    for x in points:
        J = tape.jacobian(x)[0]
        H = tape.hessian(x)
        assert not np.any(_nonzero(J) & ~pattern), (x, J)
        assert not np.any(_nonzero(H) & ~hessian), (x, H)
        seen_j |= _nonzero(J)
        seen_h |= _nonzero(H)
    if all(p == "0.0" for p in op.partials):  # a step: derivative zero everywhere
        assert not pattern.any() and not hessian.any()
    elif op.smooth and not op.surrogate:  # five random points see every structural nonzero
        np.testing.assert_array_equal(pattern, seen_j)
        np.testing.assert_array_equal(hessian, seen_h)
    # Kinks, conditionals and surrogate partials: the pattern holds every nonzero seen at
    # every point (checked above); it may hold more (both branches of a kink).


def test_structure_tables_match_textbook_second_derivatives():
    d, s = sparsity.DEPENDS, sparsity.SECOND
    assert s[ops.MUL].tolist() == [0, 1, 0]        # d2(xy) = dx dy only
    assert s[ops.DIV].tolist() == [0, 1, 1]        # x/y: linear in x
    assert s[ops.POW].tolist() == [1, 1, 1]
    assert s[ops.ADD].tolist() == [0, 0, 0] and s[ops.MUL_CONST].tolist() == [0, 0, 0]
    assert s[ops.EXP].tolist() == [1, 0, 0] and s[ops.RELU].tolist() == [0, 0, 0]
    assert d[ops.GT].tolist() == [0, 0] and d[ops.MAXIMUM].tolist() == [1, 1]
    assert d[ops.MUL_CONST].tolist() == [1, 0]     # the constant slot is no parent


# ---- textbook graphs and conditionals ------------------------------------------------------

def test_staged_worksheet_graph_patterns():
    """f = (x + y) z: every input matters; d2f = dx dz + dy dz (no squares, no dx dy)."""
    with sg.Graph():
        x, y, z = sg.var("x"), sg.var("y"), sg.var("z")
        tape = sg.compile([x, y, z], [(x + y) * z])
    assert tape.jacobian_sparsity().toarray().tolist() == [[True, True, True]]
    expected = np.array([[0, 0, 1], [0, 0, 1], [1, 1, 0]], dtype=bool)
    np.testing.assert_array_equal(tape.hessian_sparsity().toarray(), expected)
    H = tape.sparse_hessian([-2.0, 5.0, -4.0]).toarray()
    np.testing.assert_array_equal(H, expected.astype(float))  # the closed form, exactly


def test_domke_graph_and_a_conditional_hold_both_branches():
    with sg.Graph():
        x = sg.var("x")
        f1 = sg.exp(x)
        f3 = f1 + f1 ** 2
        tape = sg.compile([x], [sg.exp(f3) + sg.sin(f3)])
    assert tape.jacobian_sparsity().toarray().tolist() == [[True]]
    assert tape.hessian_sparsity().toarray().tolist() == [[True]]
    with sg.Graph():
        a, b, c = sg.var("a"), sg.var("b"), sg.var("c")
        tape = sg.compile([a, b, c], [sg.maximum(a, b) * c, sg.gt(a, c) + b])
    # at a > b the dense Jacobian routes through a only; the pattern holds for every point
    x = [2.0, 1.0, 3.0]
    assert tape.jacobian(x)[0, 1] == 0.0
    np.testing.assert_array_equal(tape.jacobian_sparsity().toarray(),
                                  [[True, True, True], [False, True, False]])
    np.testing.assert_array_equal(tape.hessian_sparsity(0).toarray(),
                                  [[0, 0, 1], [0, 0, 1], [1, 1, 0]])
    _check_patterns(tape, x)


# ---- random DAGs over every op ---------------------------------------------------------------

@given(strategies.dags(max_inputs=5, max_nodes=25, max_outputs=3))
def test_random_dag_patterns_and_compressed_values(case):
    _check_patterns(*case)


@pytest.mark.parametrize("seed", range(4))
def test_large_random_tapes_match_dense(seed):
    rng = np.random.default_rng(seed)
    tape, x = strategies.random_tape(rng, 12, 300, 6)
    _check_patterns(tape, x)


# ---- colorings ------------------------------------------------------------------------------

def _random_pattern(rng, m, n, density):
    return scipy_sparse.csr_array(rng.random((m, n)) < density)


def _brute_column_ok(P, colors):
    P = P.toarray()
    return all(len(set(colors[np.flatnonzero(row)])) == np.count_nonzero(row) for row in P)


def _brute_star_ok(P, colors):
    """No edge inside a color, no 2-colored path on four vertices (by enumeration)."""
    A = P.toarray() & ~np.eye(P.shape[0], dtype=bool)
    nbr = [np.flatnonzero(r) for r in A]
    for w in range(len(A)):
        for x in nbr[w]:
            if colors[w] == colors[x]:
                return False
            for y in nbr[x]:
                for z in nbr[y]:
                    if len({w, x, y, z}) == 4 and colors[w] == colors[y] and colors[x] == colors[z]:
                        return False
    return True


@pytest.mark.parametrize("ordering", coloring.ORDERINGS)
def test_colorings_are_valid_by_brute_force(ordering):
    rng = np.random.default_rng(7)
    for _ in range(30):
        m, n = rng.integers(1, 30, 2)
        P = _random_pattern(rng, m, n, rng.uniform(0.02, 0.4))
        c = coloring.color_columns(P, ordering)
        r = coloring.color_rows(P, ordering)
        assert _brute_column_ok(P, c) and coloring.check_coloring(P, c, "column")
        assert _brute_column_ok(P.T.tocsr(), r) and coloring.check_coloring(P, r, "row")
        if ordering != "dsatur":
            S = P[:, :m] if n >= m else P[:n]
            S = (S + S.T).astype(bool)
            s = coloring.star_coloring(S, ordering)
            assert _brute_star_ok(S, s) and coloring.check_coloring(S, s, "star")


@pytest.mark.parametrize("bound", [1, 50, 10**5, 10**12])
def test_key_counts_counts_by_either_route(bound):
    # small bounds are counted in a table, large ones sorted: both against a Counter
    from collections import Counter
    rng = np.random.default_rng(bound)
    for size in (0, 1, 7, 3000):
        keys = rng.integers(0, bound, size) if bound < 10**6 else \
            rng.choice(rng.integers(0, bound, 40), size)  # repeats among large keys
        seen = Counter(keys.tolist())
        np.testing.assert_array_equal(coloring.key_counts(keys.astype(np.int64), bound),
                                      [seen[k] for k in keys.tolist()])


def test_check_coloring_refuses_invalid_colorings():
    P = np.array([[1, 1, 0], [0, 1, 1]])
    assert not coloring.check_coloring(P, np.array([0, 0, 1]), "column")
    assert coloring.check_coloring(P, np.array([0, 1, 0]), "column")
    assert not coloring.check_coloring(P, np.array([0, 0]), "row")
    path = np.eye(4, k=1, dtype=bool) | np.eye(4, k=-1, dtype=bool)  # 0 - 1 - 2 - 3
    assert not coloring.check_coloring(path, np.array([0, 1, 0, 1]), "star")  # 2-colored P4
    assert coloring.check_coloring(path, np.array([0, 1, 2, 0]), "star")
    with pytest.raises(ValueError, match="length 3"):
        coloring.check_coloring(P, np.array([0, 1]))
    with pytest.raises(ValueError, match="kind"):
        coloring.check_coloring(P, np.array([0, 1, 0]), "diagonal")
    with pytest.raises(ValueError, match="symmetric"):
        coloring.star_coloring(np.array([[1, 1], [0, 1]]))


def test_check_coloring_refuses_a_star_check_of_a_pattern_that_is_not_symmetric():
    # The star check reads entry (j, i) as the transpose of (i, j). The path 0 - 2 - 3 - 1
    # stored one way only, colored 2, 1, 2, 1 (a 2-colored P4, not a star coloring), was
    # called valid.
    one_way = np.zeros((4, 4), dtype=bool)
    one_way[0, 2] = one_way[2, 3] = one_way[3, 1] = True
    colors = np.array([2, 1, 2, 1])
    assert not coloring.check_coloring(one_way | one_way.T, colors, "star")
    with pytest.raises(ValueError, match="symmetric"):
        coloring.check_coloring(one_way, colors, "star")


# ---- stencils --------------------------------------------------------------------------------

@pytest.mark.parametrize("N", [1, 2, 7, 30])
def test_bratu_pattern_is_the_five_point_stencil_with_five_colors(N):
    tape, _ = bratu(N)
    idx = np.arange(N * N).reshape(N, N)
    expected = np.zeros((N * N, N * N), dtype=bool)
    expected[idx, idx] = True
    expected[idx[1:], idx[:-1]] = expected[idx[:-1], idx[1:]] = True
    expected[idx[:, 1:], idx[:, :-1]] = expected[idx[:, :-1], idx[:, 1:]] = True
    np.testing.assert_array_equal(tape.jacobian_sparsity().toarray(), expected)
    plan = tape.sparse_plan()
    assert plan.n_colors == min(5, N * N)
    assert coloring.check_coloring(plan.pattern, plan.colors, "column")
    x = np.random.default_rng(N).uniform(-1, 1, N * N)
    np.testing.assert_array_equal(tape.sparse_jacobian(x, plan=plan).toarray(),
                                  tape.jacobian(x, mode="forward"))


@pytest.mark.parametrize("w", [1, 2, 3])
def test_banded_chain_needs_2w_plus_1_colors(w):
    tape, x = banded_chain(40, w)
    P = tape.jacobian_sparsity()
    assert P.sum(axis=1).max() == 2 * w + 1
    assert tape.sparse_plan().n_colors == 2 * w + 1
    np.testing.assert_array_equal(tape.sparse_jacobian(x, "reverse").toarray(),
                                  tape.jacobian(x, mode="reverse"))


def test_sparse_hessian_of_a_stencil_objective_is_few_colors():
    """0.5 ||F||^2 of Bratu: the 13-point pattern of J^T J; a handful of star colors,
    values equal to the dense Hessian to rounding."""
    colors = []
    for N in (5, 12):
        g, inputs, outputs = graph_of(bratu(N)[0])
        with g:
            obj = sg.sum(outputs * outputs) * 0.5
            otape = sg.compile(inputs, [obj])
        x = np.random.default_rng(N).uniform(-0.5, 0.5, N * N)
        H = otape.hessian(x)
        hp = otape.hessian_sparsity()
        assert hp.sum(axis=1).max() == 13
        plan = otape.sparse_plan(kind="hessian")
        assert coloring.check_coloring(plan.pattern, plan.colors, "star")
        colors.append(plan.n_colors)
        np.testing.assert_allclose(otape.sparse_hessian(x, plan=plan).toarray(), H,
                                   rtol=HESSIAN_RTOL, atol=HESSIAN_RTOL * np.abs(H).max())
    # star coloring measured 11, 14, 16, 17 colors at N = 5, 12, 30, 60 (bounded by the
    # pattern's structure, not N^2); distance-2 column coloring needs 13, 15, 17, 19
    assert max(colors) <= 16


# ---- plans -----------------------------------------------------------------------------------

def test_plan_pickles_and_refuses_another_tape():
    tape, _ = bratu(6)
    plan = tape.sparse_plan(mode="reverse")
    again = pickle.loads(pickle.dumps(plan))
    x = np.linspace(-1, 1, 36)
    np.testing.assert_array_equal(tape.sparse_jacobian(x, plan=again).toarray(),
                                  tape.jacobian(x, mode="reverse"))
    assert again.n_colors == 5 and again.mode == "reverse"
    # a tape that unpickled equal is accepted; another one is refused
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(tape)).sparse_jacobian(
        x, plan=again).toarray(), tape.jacobian(x, mode="reverse"))
    other, _ = bratu(6, lam=1.0)  # same structure, same arrays but the constant: accepted
    other.sparse_jacobian(x, plan=plan)
    with pytest.raises(ValueError, match="another tape"):
        banded_chain(36)[0].sparse_jacobian(x, plan=plan)
    with pytest.raises(TypeError, match="Hessian plan"):
        tape.sparse_hessian(x, plan=plan)
    with pytest.raises(ValueError, match="mode"):
        tape.sparse_jacobian(x, mode="sideways")
    with pytest.raises(ValueError, match="kind"):
        tape.sparse_plan(kind="laplacian")


def test_a_mode_that_contradicts_the_plan_is_refused():
    tape, _ = bratu(6)
    x = np.linspace(-1, 1, 36)
    plan = tape.sparse_plan(mode="forward")
    for mode in ("auto", "forward"):
        np.testing.assert_array_equal(tape.sparse_jacobian(x, mode=mode, plan=plan).toarray(),
                                      tape.jacobian(x))
    with pytest.raises(ValueError, match="plan fixes the mode"):
        tape.sparse_jacobian(x, mode="reverse", plan=plan)  # was the forward result, silently
    with pytest.raises(ValueError, match="mode must be one of"):
        tape.sparse_jacobian(x, mode="sideways", plan=plan)


def test_auto_mode_takes_the_side_with_fewer_colors():
    with sg.Graph():
        x = sg.variables(30, "x")
        # one dense row (a sum) and many diagonal rows: columns need 30 colors, rows 2
        outs = [sg.sum(x)] + [sg.sin(x[k]) for k in range(30)]
        tape = sg.compile(x, outs)
    plan = tape.sparse_plan()
    assert plan.mode == "reverse" and plan.n_colors == 2
    xv = np.linspace(-1, 1, 30)
    np.testing.assert_array_equal(tape.sparse_jacobian(xv).toarray(), tape.jacobian(xv, "reverse"))


# ---- the example -----------------------------------------------------------------------------

def test_bratu_newton_converges_quadratically(capsys):
    spec = importlib.util.spec_from_file_location("example_bratu",
                                                  os.path.join(ROOT, "examples", "bratu.py"))
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    spec.loader.exec_module(module)
    out = module.main(["--quick", "--no-plot"])
    res = out["residuals"]
    assert res[-1] < 1e-10 and len(res) <= 7 and out["n_colors"] == 5
    # quadratic: e_(k+1) <= C e_k^2 with one C over the last steps (linear would need
    # e_(k+1) / e_k^2 to blow up as e_k falls)
    ratios = [res[k + 1] / res[k] ** 2 for k in range(1, len(res) - 1)]
    assert max(ratios) < 100 and min(ratios) > 0.1, ratios
    # the solution solves the discrete problem: F(u) = 0 checked against numpy
    N, u = out["N"], out["u"].reshape(out["N"], out["N"])
    P = np.pad(u, 1)
    F = 4 * u - P[:-2, 1:-1] - P[2:, 1:-1] - P[1:-1, :-2] - P[1:-1, 2:] \
        - 6.0 / (N + 1) ** 2 * np.exp(u)
    assert np.abs(F).max() < 1e-10
    assert "max |F|" in capsys.readouterr().out


# ---- edge cases and bad input ----------------------------------------------------------------

def test_edge_cases_no_inputs_repeated_outputs_and_an_output_that_is_an_input():
    c = sg.const(2.0)
    t = sg.compile([], [sg.exp(c)])
    assert t.jacobian_sparsity().shape == (1, 0) and t.sparse_jacobian([]).nnz == 0
    assert t.sparse_hessian([]).shape == (0, 0)
    x, y, z = sg.var("x"), sg.var("y"), sg.var("z")
    t = sg.compile([x, y, z], [x, x * y, x * y, x])  # z unused: an empty column
    X = [1.5, -2.0, 3.0]
    np.testing.assert_array_equal(t.jacobian_sparsity().toarray(),
                                  [[1, 0, 0], [1, 1, 0], [1, 1, 0], [1, 0, 0]])
    for mode in ("forward", "reverse"):
        np.testing.assert_array_equal(t.sparse_jacobian(X, mode).toarray(), t.jacobian(X, mode))
    np.testing.assert_array_equal(t.sparse_hessian(X, output=1).toarray(),
                                  [[0, 1, 0], [1, 0, 0], [0, 0, 0]])  # d2(xy) = dx dy
    assert t.hessian_sparsity(0).nnz == 0


def test_bad_input_gets_clear_errors():
    x, y = sg.var("x"), sg.var("y")
    t = sg.compile([x, y], [x * y, sg.sin(x)])
    with pytest.raises(ValueError, match="expected 2 input value"):
        t.sparse_jacobian([1.0])
    with pytest.raises(ValueError, match="method must be"):
        t.jacobian_sparsity("sideways")
    with pytest.raises(IndexError, match="out of range"):
        t.hessian_sparsity(7)
    with pytest.raises(ValueError, match="pass output=k"):
        t.sparse_hessian([1.0, 2.0])
    with pytest.raises(ValueError, match="plan is for output 1"):
        t.sparse_hessian([1.0, 2.0], output=0, plan=t.sparse_plan(kind="hessian", output=1))
    with pytest.raises(ValueError, match="static ordering"):
        t.sparse_plan(kind="hessian", output=0, ordering="dsatur")
    with pytest.raises(ValueError, match="ordering must be one of"):
        t.sparse_plan(ordering="random")
    with pytest.raises(ValueError, match="Hessian plans only"):
        t.sparse_plan(output=1)
    with pytest.raises(TypeError, match="Jacobian plan"):
        t.sparse_jacobian([1.0, 2.0], plan="plan")
    with pytest.raises(ValueError, match="2-d"):
        coloring.color_columns(np.zeros((2, 2, 2)))
    with pytest.raises(TypeError, match="booleans or numbers"):
        coloring.color_columns(np.array([["a"]]))


def test_malformed_patterns_and_huge_color_labels_are_handled():
    bad = scipy_sparse.csr_array((np.ones(2), np.array([0, 5]), np.array([0, 1, 2])), shape=(2, 3))
    with pytest.raises(ValueError):
        coloring.color_columns(bad)  # column index 5 of 3: refused before any kernel
    P = np.array([[1, 1, 0], [0, 1, 1]])
    big = np.array([0, 2**62, 0], dtype=np.int64)  # valid, with labels far apart
    assert coloring.check_coloring(P, big, "column")
    assert not coloring.check_coloring(P, np.array([2**62, 2**62, 1]), "column")
