"""Every op of the table, one at a time: value, first and second derivative, special points.

Table-driven over ``ops.OPS`` (JAX's ``LAX_GRAD_OPS``, CppAD's one test per op): a new record
is tested here without editing this file, once ``reference.py`` has its hand-written rule.
Operands come from each op's ``domain``; kinks are tested exactly at the kink and never by
finite differences (``strategies.away_from_kinks`` keeps difference points away from them).
"""

import math

import numpy as np
import pytest

import scalargraph as sg
from scalargraph import ops
from scalargraph.graph import _record

import reference
import strategies

VALUE_RTOL = 1e-15   # engine vs reference and vs constant folding: a few ulp (libm may differ)
DUAL_RTOL = 1e-14    # local partial vs the hand-written one (other algebraic form)
FD_RTOL = 1e-7       # first derivative vs central differences, relative to 1 + |f| + |f'|
SECOND_RTOL = 1e-5   # second derivative by differences of the first, relative to 1 + |f'| + |f''|
EPS = np.finfo(np.float64).eps
H_FIRST = np.cbrt(EPS)  # central-difference step for f', times max(1, |x|)
H_SECOND = EPS ** 0.25  # step for differences of f' (balances h^2 f'''' against eps f' / h)

COMPUTED = [op for op in ops.OPS if op.kind not in (ops.INPUT_KIND, ops.CONST_KIND)]
# Ops whose partials are a rule rather than the derivative of their value (stop_gradient,
# link): finite differences of the value cannot judge them; dual numbers and the closed
# forms of reference.py still do.
DIFFERENTIABLE = [op for op in COMPUTED if not op.surrogate]
CONSTANTS = (-1.5, 0.5, 2.0, 3.0)  # for const-right ops; ones outside the domain give NaN
N_POINTS = 8
IEEE_SPECIALS = (0.0, -0.0, 1.0, -1.0, math.inf, -math.inf, math.nan)


def _ids(op):
    return op.name


def one_op_tape(op, constant=0.0):
    """A tape whose single output is one ``op`` node over fresh variables (one per operand)."""
    with sg.Graph() as g:
        xs = [sg.var(f"x{k}") for k in range(op.arity)]
        if op.kind == ops.CONST_KIND:
            g.consts.append(constant)
            node = _record(g, op.code, len(g.consts) - 1, -1)
        elif op.kind == ops.UNARY:
            node = _record(g, op.code, xs[0].index, -1)
        elif op.kind == ops.BINARY:
            node = _record(g, op.code, xs[0].index, xs[1].index)
        else:
            g.consts.append(constant)
            node = _record(g, op.code, xs[0].index, len(g.consts) - 1)
        return sg.compile(xs, [node])


def domain_points(op, n=N_POINTS):
    """``n`` (operands, constant) pairs with operands in the op's domain (seeded per op)."""
    rng = np.random.default_rng(1000 + op.code)
    points = []
    for k in range(n):
        if op.domain == ops.POSITIVE:
            operands = rng.uniform(0.2, 4.0, op.arity)
        elif op.domain == ops.UNIT:
            operands = rng.uniform(-0.9, 0.9, op.arity)
        elif op.domain == ops.ABOVE_ONE:
            operands = rng.uniform(1.2, 4.0, op.arity)
        elif op.domain == ops.ABOVE_MINUS_ONE:
            operands = rng.uniform(-0.8, 3.0, op.arity)
        elif op.domain == ops.NONZERO:
            operands = rng.uniform(0.3, 3.0, op.arity) * rng.choice([-1.0, 1.0], op.arity)
        else:
            operands = rng.uniform(-3.0, 3.0, op.arity)
        constant = CONSTANTS[k % len(CONSTANTS)] if op.kind == ops.CONST_RIGHT else 0.0
        points.append((operands, constant))
    return points


def ref_value(op, operands, constant):
    full = list(operands) + [constant] * (2 - len(operands))
    return reference.op_value(op.name, *full)


def ref_partials(op, operands, constant):
    full = list(operands) + [constant] * (2 - len(operands))
    return np.array(reference.op_partials(op.name, *full)[:op.arity])


def differentiable_points(op):
    """Domain points where value and partials are moderate (strategies' bounds: not next to a
    pole of tan, say) and no kink is near."""
    out = []
    for operands, constant in domain_points(op):
        value, partials = ref_value(op, operands, constant), ref_partials(op, operands, constant)
        finite = (np.isfinite(value) and abs(value) <= strategies.VALUE_BOUND
                  and np.all(np.isfinite(partials))
                  and np.all(np.abs(partials) <= strategies.PARTIAL_BOUND))
        if finite and (op.smooth or op.surrogate
                       or strategies.away_from_kinks(op.name, list(operands), constant)):
            out.append((operands, constant))
    assert len(out) >= 3, f"{op.name}: too few points where its derivative can be checked"
    return out


def engine_gradient(tape, x):
    """Reverse-mode gradient, after checking that forward mode gives the same Jacobian."""
    gradient = tape.gradient(x)
    np.testing.assert_array_equal(tape.jacobian(x, mode="forward")[0], gradient)
    return gradient


# ---- values -------------------------------------------------------------------------------
def test_every_computed_op_has_a_hand_written_reference_rule():
    assert reference.missing_rules() == []


@pytest.mark.parametrize("op", COMPUTED, ids=_ids)
def test_value_matches_reference_evaluator_and_math(op):
    for operands, constant in domain_points(op):
        tape = one_op_tape(op, constant)
        got = tape(operands)[0]
        expected = ref_value(op, operands, constant)
        np.testing.assert_allclose(got, expected, rtol=VALUE_RTOL, atol=0, equal_nan=True)
        np.testing.assert_allclose(tape.values(operands), reference.evaluate(tape, operands),
                                   rtol=VALUE_RTOL, atol=0, equal_nan=True)


@pytest.mark.parametrize("op", [op for op in COMPUTED if hasattr(math, op.name)], ids=_ids)
def test_value_matches_the_math_function_of_the_same_name(op):
    for operands, constant in domain_points(op):
        tape = one_op_tape(op, constant)
        expected = getattr(math, op.name)(*operands)
        np.testing.assert_allclose(tape(operands)[0], expected, rtol=VALUE_RTOL, atol=0)


def test_const_op_value_is_its_constant():
    for c in (0.0, -2.5, 1e300, math.inf):
        tape = one_op_tape(ops.BY_NAME["const"], c)
        assert tape([])[0] == c


@pytest.mark.parametrize("op", COMPUTED, ids=_ids)
def test_ieee_special_operands_give_the_reference_value(op):
    # NaN and inf propagate as IEEE arithmetic says (and as each op's note documents):
    # every combination of 0, -0, +-1, +-inf, NaN operands, and each constant.
    specials = IEEE_SPECIALS
    grid = [(a,) for a in specials] if op.arity == 1 else [(a, b) for a in specials
                                                            for b in specials]
    constants = CONSTANTS + (0.0, math.inf) if op.kind == ops.CONST_RIGHT else (0.0,)
    for constant in constants:
        tape = one_op_tape(op, constant)
        for operands in grid:
            with np.errstate(all="ignore"):
                got = tape(list(operands))[0]
            expected = ref_value(op, operands, constant)
            assert got == expected or (math.isnan(got) and math.isnan(expected)), \
                f"{op.name}{operands} const {constant}: engine {got}, reference {expected}"


@pytest.mark.parametrize("op", [op for op in COMPUTED if hasattr(sg, op.name)], ids=_ids)
def test_user_function_records_the_op_and_folds_numbers_like_the_kernels(op):
    fn = getattr(sg, op.name)
    for operands, constant in domain_points(op, 4):
        args = list(operands) + ([constant] if op.kind == ops.CONST_RIGHT else [])
        tape = one_op_tape(op, constant)
        folded = fn(*args)
        assert type(folded) is float
        np.testing.assert_allclose(folded, tape(operands)[0], rtol=VALUE_RTOL, equal_nan=True)
    xs = [sg.var() for _ in range(op.arity)]
    node = fn(*xs, *([2.0] if op.kind == ops.CONST_RIGHT else []))
    assert node.op == op.name


# ---- first derivative ---------------------------------------------------------------------
@pytest.mark.parametrize("op", COMPUTED, ids=_ids)
def test_first_derivative_matches_dual_numbers(op):
    for operands, constant in differentiable_points(op):
        tape = one_op_tape(op, constant)
        expected = ref_partials(op, operands, constant)
        np.testing.assert_allclose(engine_gradient(tape, operands), expected,
                                   rtol=DUAL_RTOL, atol=DUAL_RTOL)
        for k in range(op.arity):
            direction = np.eye(op.arity)[k]
            dual = reference.dual_evaluate(tape, operands, direction)[tape.outputs[0]]
            np.testing.assert_allclose(tape.jvp(operands, direction)[0], dual.derivative,
                                       rtol=DUAL_RTOL, atol=DUAL_RTOL)


@pytest.mark.parametrize("op", DIFFERENTIABLE, ids=_ids)
def test_first_derivative_matches_central_differences(op):
    for operands, constant in differentiable_points(op):
        tape = one_op_tape(op, constant)
        gradient = engine_gradient(tape, operands)
        value = tape(operands)[0]
        for k in range(op.arity):
            h = H_FIRST * max(1.0, abs(operands[k]))
            up, down = operands.copy(), operands.copy()
            up[k] += h
            down[k] -= h
            fd = (tape(up)[0] - tape(down)[0]) / (up[k] - down[k])
            scale = 1.0 + abs(value) + abs(gradient[k])
            assert abs(gradient[k] - fd) <= FD_RTOL * scale, \
                f"{op.name} at {operands} (const {constant}): d/dx{k} = {gradient[k]}, FD {fd}"


# ---- second derivative --------------------------------------------------------------------
@pytest.mark.parametrize("op", COMPUTED, ids=_ids)
def test_second_derivative_by_differences_of_the_first_matches_closed_form(op):
    # The engine's first derivative, differenced: checks that it is the right function of
    # the operands near each point, not only right at it (CppAD tests every order).
    for operands, constant in differentiable_points(op):
        tape = one_op_tape(op, constant)
        full = list(operands) + [constant] * (2 - op.arity)
        hessian = np.array(reference.SECOND[op.name](*full))[:op.arity, :op.arity]
        gradient = tape.gradient(operands)
        for k in range(op.arity):
            h = H_SECOND * max(1.0, abs(operands[k]))
            up, down = operands.copy(), operands.copy()
            up[k] += h
            down[k] -= h
            if not op.smooth and not strategies.away_from_kinks(op.name, list(up), constant):
                continue
            column = (tape.gradient(up) - tape.gradient(down)) / (up[k] - down[k])
            scale = 1.0 + np.abs(gradient) + np.abs(hessian[:, k])
            assert np.all(np.abs(column - hessian[:, k]) <= SECOND_RTOL * scale), \
                f"{op.name} at {operands}: d2/dx{k} {column} vs closed form {hessian[:, k]}"


# ---- special points and kinks, exactly -----------------------------------------------------
SPECIAL = [(op, point) for op in COMPUTED for point in op.special]


@pytest.mark.parametrize("op, point", SPECIAL, ids=[f"{op.name}{p}" for op, p in SPECIAL])
def test_special_points_match_the_documented_convention_exactly(op, point):
    constants = (0.1, 0.3) if op.kind == ops.CONST_RIGHT else (0.0,)
    for constant in constants:
        tape = one_op_tape(op, constant)
        operands = np.array(point, dtype=float)
        assert tape(operands)[0] == ref_value(op, operands, constant)
        expected = ref_partials(op, operands, constant)
        # The op's own partials are the documented ones, inf included ...
        partials = tape.linearize(operands)[1][tape.outputs[0], :len(expected)]
        np.testing.assert_array_equal(partials, expected)
        # ... and a derivative through an infinite partial is NaN (kernels/reach.py).
        expected = np.where(np.isfinite(expected), expected, math.nan)
        np.testing.assert_array_equal(tape.gradient(operands), expected)
        np.testing.assert_array_equal(tape.jacobian(operands, mode="forward")[0], expected)
        np.testing.assert_array_equal(tape.jacobian(operands, mode="reverse")[0], expected)


def _value_and_gradient(fn, *point):
    tape = sg.trace(fn, len(point))
    return float(tape(list(point))[0]), tape.gradient(list(point)).tolist()


def test_relu_derivative_at_zero_is_zero():
    assert _value_and_gradient(sg.relu, 0.0) == (0.0, [0.0])
    assert _value_and_gradient(sg.relu, -0.0)[1] == [0.0]
    assert _value_and_gradient(sg.relu, 1e-300)[1] == [1.0]
    assert _value_and_gradient(sg.relu, -1.0)[1] == [0.0]


def test_maximum_tie_sends_the_gradient_to_y():
    # Lecture notes: df/dx = 1{x > y}; at a tie everything goes to the second argument.
    value, gradient = _value_and_gradient(sg.maximum, 2.0, 2.0)
    assert value == 2.0
    assert gradient == [0.0, 1.0]
    assert list(_value_and_gradient(sg.maximum, 3.0, 2.0)[1]) == [1.0, 0.0]
    assert list(_value_and_gradient(sg.maximum, 1.0, 2.0)[1]) == [0.0, 1.0]
    assert list(_value_and_gradient(sg.minimum, 2.0, 2.0)[1]) == [0.0, 1.0]
    assert list(_value_and_gradient(sg.minimum, 1.0, 2.0)[1]) == [1.0, 0.0]


def test_maximum_of_a_node_with_itself_has_derivative_one():
    x = sg.var("x")
    tape = sg.compile([x], [sg.maximum(x, x), sg.minimum(x, x)])
    np.testing.assert_array_equal(tape.jacobian([1.5]), [[1.0], [1.0]])


def test_abs_derivative_at_zero_is_zero():
    assert _value_and_gradient(abs, 0.0) == (0.0, [0.0])
    assert _value_and_gradient(sg.abs, -3.0) == (3.0, [-1.0])
    assert _value_and_gradient(sg.abs, 3.0) == (3.0, [1.0])


def test_leaky_relu_derivative_at_zero_is_alpha():
    assert _value_and_gradient(sg.leaky_relu, 0.0)[1] == [0.1]
    assert _value_and_gradient(lambda x: sg.leaky_relu(x, alpha=0.3), 0.0)[1] == [0.3]
    assert _value_and_gradient(lambda x: sg.leaky_relu(x, 0.3), -2.0) == (-0.6, [0.3])
    assert _value_and_gradient(lambda x: sg.leaky_relu(x, 0.3), 2.0) == (2.0, [1.0])


def test_gt_is_a_step_with_derivative_zero_even_at_the_jump():
    for x, y, value in ((1.0, 1.0, 0.0), (1.0 + 1e-15, 1.0, 1.0), (0.0, 1.0, 0.0)):
        v, gradient = _value_and_gradient(sg.gt, x, y)
        assert v == value
        assert list(gradient) == [0.0, 0.0]


# ---- documented IEEE values ---------------------------------------------------------------
def _partial(fn, x):
    """The local partial of a one-op tape at x (the op's derivative, before any sweep)."""
    tape = sg.trace(fn, 1)
    return float(tape.linearize([x])[1][tape.outputs[0], 0])


# A derivative that passes an infinite partial is NaN in every mode (kernels/reach.py: the
# rule under which forward and reverse mode agree); the partial itself is the IEEE limit.
def test_log_of_zero_is_minus_inf_with_derivative_plus_inf():
    value, gradient = _value_and_gradient(sg.log, 0.0)
    assert value == -math.inf and _partial(sg.log, 0.0) == math.inf
    assert math.isnan(gradient[0])
    assert math.isnan(_value_and_gradient(sg.log, -1.0)[0])
    assert sg.log(0.0) == -math.inf  # constant folding agrees, no exception


def test_sqrt_of_zero_is_zero_with_derivative_plus_inf():
    value, gradient = _value_and_gradient(sg.sqrt, 0.0)
    assert value == 0.0 and _partial(sg.sqrt, 0.0) == math.inf and math.isnan(gradient[0])
    assert math.isnan(_value_and_gradient(sg.sqrt, -1.0)[0])


def test_zero_to_the_zero_is_one():
    value, gradient = _value_and_gradient(lambda x, y: x ** y, 0.0, 0.0)
    assert value == 1.0
    assert list(gradient) == [0.0, 0.0]  # pow note: d/dx = 0 at y = 0, d/dy = 0 at x = 0
    # x ** 0 is 1 for every x, even NaN and inf (IEEE pow)
    for x in (0.0, -2.0, math.inf, math.nan):
        assert _value_and_gradient(lambda t: t ** 0.0, x) == (1.0, [0.0])
    assert _partial(lambda t: t ** 0.5, 0.0) == math.inf
    assert math.isnan(_value_and_gradient(lambda t: t ** 0.5, 0.0)[1][0])
    assert _value_and_gradient(lambda t: t ** 3.0, 0.0) == (0.0, [0.0])
    assert _value_and_gradient(lambda t: 2.0 ** t, 0.0) == (1.0, [math.log(2.0)])


def test_division_by_zero_follows_ieee():
    tape = sg.trace(lambda x, y: x / y, 2)
    with np.errstate(all="ignore"):
        assert tape([1.0, 0.0])[0] == math.inf
        assert tape([-1.0, 0.0])[0] == -math.inf
        assert math.isnan(tape([0.0, 0.0])[0])
        assert tape.linearize([1.0, 0.0])[1][tape.outputs[0], 0] == math.inf
        assert math.isnan(tape.gradient([1.0, 0.0])[0])  # through an inf partial
    assert sg.trace(lambda x: 1.0 / x, 1)([0.0])[0] == math.inf


def test_nan_and_inf_propagate_through_a_chain():
    tape = sg.trace(lambda x, y: sg.exp(sg.sin(x) * y) + sg.tanh(y), 2)
    assert math.isnan(tape([math.nan, 1.0])[0])
    assert math.isnan(tape([1.0, math.nan])[0])
    assert tape([1.0, math.inf])[0] == math.inf
    assert tape([-1.0, math.inf])[0] == 1.0  # exp(-inf) + tanh(inf) = 0 + 1
    gradient = tape.gradient([math.nan, 1.0])
    assert math.isnan(gradient[0]) and math.isnan(gradient[1])


def test_exp_overflow_is_inf():
    value, gradient = _value_and_gradient(sg.exp, 1000.0)
    assert value == math.inf and _partial(sg.exp, 1000.0) == math.inf
    assert math.isnan(gradient[0])  # the partial overflowed: NaN, as any infinite partial
    assert _value_and_gradient(sg.exp, -1000.0) == (0.0, [0.0])


def test_sigmoid_and_softplus_do_not_overflow():
    for x in (-800.0, -40.0, 0.0, 40.0, 800.0):
        value, gradient = _value_and_gradient(sg.sigmoid, x)
        assert value == reference.sigmoid(x)
        # sigma(x) sigma(-x): full relative accuracy in the tails, where sigma (1 - sigma)
        # is exactly 0 (x = 40: 4.25e-18, not 0).
        assert gradient[0] == pytest.approx(reference.dsigmoid(x), rel=1e-15, abs=1e-300)
        value, gradient = _value_and_gradient(sg.softplus, x)
        assert value == pytest.approx(reference.softplus(x), rel=1e-15, abs=1e-300)
        assert gradient[0] == pytest.approx(reference.sigmoid(x), rel=1e-15, abs=1e-300)


# ---- the strong zero ----------------------------------------------------------------------
def _all_modes(tape, x):
    """The gradient of the single output by every route the tape offers."""
    x = np.asarray(x, dtype=float)
    n = tape.n_inputs
    return {
        "gradient": tape.gradient(x),
        "vjp": tape.vjp(x, [1.0]),
        "adjoints": tape.adjoints(x)[:n],
        "jvp": np.array([tape.jvp(x, np.eye(n)[j])[0] for j in range(n)]),
        "tangents": np.array([tape.tangents(x, np.eye(n)[j])[tape.outputs[0]]
                              for j in range(n)]),
        "jacobian forward": tape.jacobian(x, mode="forward")[0],
        "jacobian reverse": tape.jacobian(x, mode="reverse")[0],
    }


@pytest.mark.parametrize("fn, expected", [
    (lambda x: sg.maximum(sg.sqrt(x), 1.0), 0.0),   # switched-off branch has sqrt'(0) = inf
    (lambda x: sg.relu(sg.log(x)), 0.0),             # relu'(-inf) = 0 blocks log'(0) = inf
    (lambda x: 0.0 * sg.sqrt(x) + x, 1.0),           # a zero constant factor blocks inf
    (lambda x: sg.maximum(1.0, sg.log(x)) * 2.0, 0.0),  # gradient to the constant
    (lambda x: sg.sqrt(x), math.nan),                # an open path through inf: NaN
])
def test_zero_partial_blocks_an_infinite_path_in_every_mode(fn, expected):
    # A zero partial cuts its edge (kernels/reach.py): the inf behind it contributes
    # nothing, not NaN, and forward and reverse mode agree.
    tape = sg.trace(fn, 1)
    for route, gradient in _all_modes(tape, [0.0]).items():
        assert gradient[0] == expected or (math.isnan(expected) and math.isnan(gradient[0])), \
            f"{route}: {gradient[0]}"
