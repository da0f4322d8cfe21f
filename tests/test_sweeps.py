"""Sweeps on random DAGs: every mode agrees with every oracle (JAX check_jvp / check_vjp style).

Oracles, each with its own tolerance, measured relative to the largest entry of the
Jacobian (an absolute error that large sums of path products can reach by rounding):

* the hand-written reference evaluator, for values;
* the other AD mode (same partials, other summation order);
* hand-written dual numbers (independent partial formulas);
* float64 central finite differences, ``h = cbrt(eps) * max(1, |x|)`` (strategies.py keeps
  every kink farther than the step can reach, so differences never straddle one).
"""

import contextlib

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import scalargraph as sg
from scalargraph import tiles

import interrupt
import reference
import strategies

VALUE_RTOL = 1e-13   # engine vs reference evaluator: same IEEE operations, may differ by rounding
AD_RTOL = 1e-12      # forward vs reverse mode: same partials, summed in another order
DUAL_RTOL = 1e-11    # engine vs dual numbers: partials written in other (equivalent) forms
FD_RTOL = 1e-6       # engine vs central differences: truncation ~h^2, rounding ~eps/h
IDENTITY_RTOL = 1e-10  # <w, J v> = <J^T w, v> on a large graph (thousands of rounded terms)
EPS = np.finfo(np.float64).eps


def central_differences(tape, x):
    """Jacobian (m, n) by float64 central differences, one pair of tape calls per input."""
    jac = np.empty((tape.n_outputs, tape.n_inputs))
    for j in range(tape.n_inputs):
        h = np.cbrt(EPS) * max(1.0, abs(x[j]))
        up, down = x.copy(), x.copy()
        up[j] += h
        down[j] -= h
        jac[:, j] = (tape(up) - tape(down)) / (up[j] - down[j])
    return jac


def assert_close(actual, expected, rtol, what):
    """All entries within rtol * (1 + the largest |expected|), with a message saying which."""
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    scale = 1.0 + (np.abs(expected).max() if expected.size else 0.0)
    np.testing.assert_allclose(actual, expected, rtol=0, atol=rtol * scale, err_msg=what)


@contextlib.contextmanager
def shown_on_failure(tape, x):
    """Append the tape, op by op, to any assertion message raised inside."""
    try:
        yield
    except AssertionError as err:
        raise AssertionError(f"{err}\n{strategies.describe(tape, x)}") from None


def check_all_oracles(tape, x):
    with shown_on_failure(tape, x):
        _check_all_oracles(tape, x)


def _check_all_oracles(tape, x):
    values = tape.values(x)
    np.testing.assert_allclose(values, reference.evaluate(tape, x), rtol=VALUE_RTOL,
                               atol=VALUE_RTOL, err_msg="values vs reference evaluator")
    forward = tape.jacobian(x, mode="forward")
    reverse = tape.jacobian(x, mode="reverse")
    assert_close(reverse, forward, AD_RTOL, "reverse vs forward Jacobian")
    duals = np.array(reference.jacobian(tape, x)).reshape(forward.shape)
    assert_close(reverse, duals, DUAL_RTOL, "reverse Jacobian vs dual numbers")
    assert_close(forward, duals, DUAL_RTOL, "forward Jacobian vs dual numbers")
    assert_close(reverse, central_differences(tape, x), FD_RTOL,
                 "reverse Jacobian vs central differences")


@given(strategies.dags(max_inputs=5, max_nodes=40))
def test_values_match_reference_evaluator_on_random_dags(case):
    tape, x = case
    with shown_on_failure(tape, x):
        np.testing.assert_allclose(tape.values(x), reference.evaluate(tape, x),
                                   rtol=VALUE_RTOL, atol=VALUE_RTOL)
        np.testing.assert_array_equal(tape(x), tape.values(x)[tape.outputs])


@given(strategies.dags(max_inputs=5, max_nodes=40))
def test_reverse_equals_forward_equals_duals_equals_differences_on_random_dags(case):
    check_all_oracles(*case)


@pytest.mark.parametrize("op", strategies.COMPUTED_OPS, ids=lambda op: op.name)
@settings(max_examples=max(8, settings.default.max_examples // 8))  # scales with the profile
@given(data=st.data())
def test_every_op_inside_random_dags_agrees_with_all_oracles(op, data):
    tape, x = data.draw(strategies.dags(max_nodes=12, require=op))
    assume(op.name in tape.op_counts())  # the op fits most drawn points; skip the rest
    check_all_oracles(tape, x)


@pytest.mark.parametrize("seed", range(6))
def test_all_oracles_on_medium_random_graphs(seed):
    # Deeper than hypothesis' examples tend to be: a few hundred live nodes, every op.
    rng = np.random.default_rng(100 + seed)
    tape, x = strategies.random_tape(rng, n_inputs=6, n_nodes=200, n_outputs=4,
                                     track_gradients=True)
    assert tape.n_nodes > 200
    check_all_oracles(tape, x)


@given(strategies.dags(max_inputs=5, max_nodes=40), st.data())
def test_gradient_vjp_jvp_adjoints_tangents_are_slices_of_the_jacobian(case, data):
    tape, x = case
    jac = tape.jacobian(x, mode="forward")
    m, n = jac.shape
    floats = st.floats(-2.0, 2.0, allow_nan=False)
    w = np.array(data.draw(st.lists(floats, min_size=m, max_size=m)))
    v = np.array(data.draw(st.lists(floats, min_size=n, max_size=n)))
    with shown_on_failure(tape, x):
        assert_close(tape.vjp(x, w), w @ jac, AD_RTOL * (1 + np.abs(w).sum()), "vjp vs w @ J")
        assert_close(tape.jvp(x, v), jac @ v, AD_RTOL * (1 + np.abs(v).sum()), "jvp vs J @ v")
        np.testing.assert_array_equal(tape.tangents(x, v)[tape.outputs], tape.jvp(x, v))
        for k in range(m):
            gradient = tape.gradient(x, output=k)
            assert_close(gradient, jac[k], AD_RTOL, f"gradient of output {k}")
            np.testing.assert_array_equal(tape.adjoints(x, output=k)[:n], gradient)
            value, gradient2 = tape.value_and_gradient(x, output=k)
            assert value == tape(x)[k]
            np.testing.assert_array_equal(gradient2, gradient)


@pytest.mark.parametrize("seed", [0, 1])
def test_inner_product_identity_on_a_large_random_graph(seed):
    # JAX check_vjp: <w, J v> from forward mode = <J^T w, v> from reverse mode, and both equal
    # the hand-written dual numbers carried along v.
    rng = np.random.default_rng(seed)
    tape, x = strategies.random_tape(rng, n_inputs=60, n_nodes=3000, n_outputs=25)
    assert tape.n_nodes > 5000
    w = rng.standard_normal(tape.n_outputs)
    v = rng.standard_normal(tape.n_inputs)
    forward = w @ tape.jvp(x, v)
    reverse = tape.vjp(x, w) @ v
    duals = reference.dual_evaluate(tape, x, v)
    by_duals = sum(wk * duals[o].derivative for wk, o in zip(w, tape.outputs))
    scale = 1.0 + np.abs(w) @ np.abs(tape.jacobian(x, mode="reverse")) @ np.abs(v)
    assert abs(forward - reverse) <= IDENTITY_RTOL * scale
    assert abs(forward - by_duals) <= IDENTITY_RTOL * scale
    np.testing.assert_allclose(tape.jacobian(x, mode="forward"),
                               tape.jacobian(x, mode="reverse"), rtol=0,
                               atol=IDENTITY_RTOL * scale)


def test_gradient_of_many_inputs_matches_closed_form():
    # f = sum_i sin(x_i) * x_{i+1} (cyclic): df/dx_j = cos(x_j) x_{j+1} + sin(x_{j-1}).
    n = 3000
    xs = np.array([sg.var(f"x{i}") for i in range(n)], dtype=object)
    f = np.sum(np.sin(xs) * np.roll(xs, -1))
    tape = sg.compile(xs, [f])
    x = np.random.default_rng(7).uniform(-2, 2, n)
    expected = np.cos(x) * np.roll(x, -1) + np.sin(np.roll(x, 1))
    np.testing.assert_allclose(tape.gradient(x), expected, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(tape(x)[0], np.sum(np.sin(x) * np.roll(x, -1)), rtol=1e-12)
    some = np.zeros(n)
    some[[0, 17, n - 1]] = 1.0
    np.testing.assert_allclose(tape.jvp(x, some)[0], expected[[0, 17, n - 1]].sum(), rtol=1e-13)


def test_duplicate_outputs_input_as_output_and_unused_input():
    x, y, unused = sg.var("x"), sg.var("y"), sg.var("unused")
    f = x * y + sg.sin(x)
    tape = sg.compile([x, y, unused], [f, f, x, y])
    point = np.array([0.7, -1.3, 5.0])
    np.testing.assert_allclose(tape(point), [0.7 * -1.3 + np.sin(0.7)] * 2 + [0.7, -1.3],
                               rtol=1e-15)
    expected = np.array([[-1.3 + np.cos(0.7), 0.7, 0.0],
                         [-1.3 + np.cos(0.7), 0.7, 0.0],
                         [1.0, 0.0, 0.0],
                         [0.0, 1.0, 0.0]])
    for mode in ("forward", "reverse", "auto"):
        np.testing.assert_allclose(tape.jacobian(point, mode=mode), expected, rtol=1e-15)
    assert tape.gradient(point, output=0)[2] == 0.0
    np.testing.assert_array_equal(tape.gradient(point, output=2), [1.0, 0.0, 0.0])
    np.testing.assert_allclose(tape.vjp(point, [1.0, 1.0, 0.0, 0.0]), 2 * expected[0],
                               rtol=1e-15)


@pytest.mark.parametrize("n, m", [(1, 1), (3, 1), (1, 4), (5, 3), (3, 5), (70, 2), (2, 70)])
def test_jacobian_shape_is_outputs_by_inputs_in_every_mode(n, m):
    # Sizes past the 64-direction block of jacobian() included. y_k = sum_j (k + 1) x_j^(j+1)
    # / (j + 1) has dy_k/dx_j = (k + 1) x_j^j.
    xs = [sg.var(f"x{j}") for j in range(n)]
    s = np.sum([xs[j] ** (j + 1) / (j + 1) for j in range(n)])
    outs = [(k + 1) * s for k in range(m)]
    tape = sg.compile(xs, outs)
    point = np.linspace(0.5, 1.1, n)
    expected = np.outer(np.arange(1, m + 1), point ** np.arange(n))
    for mode in ("forward", "reverse", "auto"):
        jac = tape.jacobian(point, mode=mode)
        assert jac.shape == (m, n)
        np.testing.assert_allclose(jac, expected, rtol=1e-13)


@pytest.mark.parametrize("n", [3, 64, 65, 130])
def test_jacobian_rows_of_inputs_repeats_and_constants_in_every_block(n):
    # Outputs: x_0 itself (an input as an output: a unit row), sin(x_j) x_(j+1) for every j
    # (each row two entries), the first of those again, a constant (a zero row), and x_(n-1)
    # again; past 64 inputs or outputs the rows come from more than one block.
    xs = sg.variables(n)
    prods = [sg.sin(xs[j]) * xs[(j + 1) % n] for j in range(n)]
    outs = [xs[0]] + prods + [prods[0], 2.5, xs[n - 1]]
    tape = sg.compile(xs, outs)
    point = np.linspace(-1.2, 0.9, n)
    expected = np.zeros((len(outs), n))
    expected[0, 0] = 1.0
    for j in range(n):
        expected[1 + j, j] += np.cos(point[j]) * point[(j + 1) % n]
        expected[1 + j, (j + 1) % n] += np.sin(point[j])
    expected[n + 1] = expected[1]
    expected[n + 3, n - 1] = 1.0
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(tape.jacobian(point, mode=mode), expected, rtol=1e-15,
                                   atol=0)
    np.testing.assert_array_equal(tape.jacobian(point, mode="forward"),
                                  tape.jacobian(point, mode="reverse"))


def test_constant_outputs_and_no_inputs():
    x = sg.var("x")
    tape = sg.compile([x], [3.0, sg.const(2.0) * 4.0])
    np.testing.assert_array_equal(tape([1.0]), [3.0, 8.0])
    for mode in ("forward", "reverse", "auto"):
        np.testing.assert_array_equal(tape.jacobian([1.0], mode=mode), np.zeros((2, 1)))
    closed = sg.compile([], [sg.exp(sg.const(0.0))])
    np.testing.assert_array_equal(closed([]), [1.0])
    assert closed.jacobian([]).shape == (1, 0)
    assert closed.gradient([]).shape == (0,)


def test_no_outputs_gives_empty_jacobian():
    x = sg.var("x")
    tape = sg.compile([x], [])
    assert tape([1.0]).shape == (0,)
    assert tape.jacobian([1.0]).shape == (0, 1)
    np.testing.assert_array_equal(tape.vjp([1.0], []), [0.0])


def test_two_paths_converging_sum_in_every_mode():
    # micrograd's b = a + a; c = b + b: dc/da = 4 (law of total derivatives, lecture notes).
    a = sg.var("a")
    b = a + a
    c = b + b
    tape = sg.compile([a], [c])
    assert tape.gradient([3.0])[0] == 4.0
    assert tape.jvp([3.0], [1.0])[0] == 4.0
    assert tape.jacobian([3.0], mode="reverse")[0, 0] == 4.0


def test_fused_gradient_where_the_sweep_meets_the_inputs():
    # The fused value-and-gradient kernel (tapes above the small-tape size) sweeps down to
    # the first computed node, not to node 0: the last input's adjoint may still wait in a
    # register there (the first computed node reads it), an input may itself be an output,
    # and x * x of an input sends two terms to one adjoint. Closed forms, and forward mode
    # (tangents, which do not share the reverse loop) to the last bit's neighbourhood.
    n = 60
    xs = [sg.var(f"x{i}") for i in range(n)]
    last = xs[-1]
    first = sg.sin(last)  # the first computed node reads the last input, node n - 1
    f = first * 3.0 + last * last + np.sum([sg.cos(x) * (k + 1.0) for k, x in enumerate(xs)])
    tape = sg.compile(xs, [f, xs[0], last])
    assert tape.n_nodes > 128  # past the small-tape kernels (workmem.PACKED_NODES)
    x = np.random.default_rng(11).uniform(-2.0, 2.0, n)
    expected = -np.sin(x) * np.arange(1.0, n + 1.0)
    expected[-1] += 3.0 * np.cos(x[-1]) + 2.0 * x[-1]
    value, grad = tape.value_and_gradient(x, output=0)
    np.testing.assert_allclose(grad, expected, rtol=1e-14, atol=1e-14)
    assert value == tape(x)[0]
    np.testing.assert_allclose(value, 3.0 * np.sin(x[-1]) + x[-1] ** 2
                               + np.sum(np.cos(x) * np.arange(1.0, n + 1.0)), rtol=1e-13)
    tangents = tape.jacobian(x, mode="forward")
    np.testing.assert_allclose(grad, tangents[0], rtol=1e-15, atol=1e-15)
    for k, j in ((1, 0), (2, n - 1)):  # an input as the output: a unit gradient
        unit = np.zeros(n)
        unit[j] = 1.0
        np.testing.assert_array_equal(tape.gradient(x, output=k), unit)
        np.testing.assert_array_equal(tape.value_and_gradient(x, output=k)[1], unit)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_in_slices_is_the_same_matrix(monkeypatch, mode):
    # The block sweeps run in slices of SLICE_WORK direction-nodes per kernel call (so that
    # Ctrl-C is raised between them); a slice of one block must give the same bits.
    xs = sg.variables(130)
    outs = [sg.sin(xs[j]) * xs[(j + 1) % 130] + sg.exp(xs[(7 * j) % 130]) for j in range(130)]
    tape = sg.compile(xs, outs)
    point = np.linspace(-0.8, 0.6, 130)
    whole = tape.jacobian(point, mode=mode)
    monkeypatch.setattr(tiles, "SLICE_WORK", 1)
    assert tape.jacobian(point, mode=mode).tobytes() == whole.tobytes()


@pytest.mark.parametrize("mode, module, kernel", [
    ("forward", "scalargraph.kernels.tiles", "jacobian_blocks"),
    ("reverse", "scalargraph.kernels.sweeps", "jacobian_reverse")])
def test_ctrl_c_stops_a_large_jacobian_between_slices(mode, module, kernel):
    """Each mode interrupted in its third kernel call: the forward mode on 40000 directions,
    the reverse mode on 10000 seeds."""
    result = interrupt.interrupted(f"""
        import numpy as np
        import scalargraph as sg
        u = sg.variables(2)
        sg.compile(u, [u[0] * u[1], u[1]]).jacobian([1.0, 2.0], mode="{mode}")  # compiled
        if "{mode}" == "forward":
            x = sg.variables(40000)
            tape = sg.compile(x, [sg.sum(sg.sin(x[:-1] * x[1:]))])
        else:
            tape = sg.compile(u, sg.sin(np.arange(10000.0) * u[0] + u[1]))
        point = np.full(tape.n_inputs, 0.5)
    """, module, kernel, f'tape.jacobian(point, mode="{mode}")')
    assert result["latency"] is not None, f"{mode} ran to its end: {result}"
    # A slice is 15-70 ms here; the whole Jacobian takes 10 or more slices.
    assert result["latency"] < 2.0, result
