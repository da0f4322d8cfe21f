"""Bad input gives a clear TypeError / ValueError saying what was expected and what came.

Never a crash inside a kernel, never a silent wrong answer (issue: "Bad input").
"""

import math
import re

import numpy as np
import pytest

import scalargraph as sg


@pytest.fixture
def xy():
    return sg.var("x"), sg.var("y")


@pytest.fixture
def tape(xy):
    x, y = xy
    return sg.compile([x, y], [x * y, sg.sin(x)])


# ---- nodes of another graph ---------------------------------------------------------------
def test_nodes_of_another_graph_are_rejected_everywhere(xy):
    x, y = xy
    with sg.Graph():
        z = sg.var("z")
    combine = [lambda: x + z, lambda: z * x, lambda: x ** z, lambda: x / z, lambda: x - z,
               lambda: sg.maximum(x, z), lambda: sg.gt(z, x),
               lambda: sg.compile([x], [z]), lambda: sg.compile([z, x], [x]),
               lambda: sg.compile([x, y], [x, z])]
    for make in combine:
        with pytest.raises(ValueError, match="another graph"):
            make()
    tape = sg.compile([x], [x * 2.0])
    with pytest.raises(ValueError, match="another graph"):
        tape.index(z)


def test_nodes_of_a_reset_default_graph_cannot_mix_with_new_ones():
    old = sg.var("old")
    sg.reset_default_graph()
    new = sg.var("new")
    with pytest.raises(ValueError, match="another graph"):
        old + new


# ---- constants that are not real numbers --------------------------------------------------
@pytest.mark.parametrize("bad", ["a", 1j, np.complex128(1 + 2j), None, [1.0, 2.0], {}, True,
                                 np.bool_(False)])
def test_non_numeric_constants_are_rejected(xy, bad):
    x, _ = xy
    with pytest.raises(TypeError, match="expected"):
        sg.const(bad)
    if not isinstance(bad, list):  # a list on the right of + is an elementwise operation
        with pytest.raises(TypeError, match="expected|real"):
            x + bad
        with pytest.raises(TypeError, match="expected|real"):
            sg.maximum(x, bad)


def test_complex_constant_message_says_reals():
    with pytest.raises(TypeError, match="complex"):
        sg.const(2 + 1j)


def test_a_bool_constant_is_refused_with_a_hint():
    with pytest.raises(TypeError, match="1.0 or 0.0"):
        sg.const(True)


# ---- compile's inputs and outputs ---------------------------------------------------------
@pytest.mark.parametrize("bad", [1.0, "x", None, np.float64(2.0)])
def test_non_node_inputs_of_compile_are_rejected(xy, bad):
    x, _ = xy
    with pytest.raises(TypeError, match=r"inputs\[1\]"):
        sg.compile([x, bad], [x])


def test_a_constant_or_intermediate_node_cannot_be_an_input(xy):
    x, y = xy
    c = sg.const(2.0)
    with pytest.raises(TypeError, match="not a variable"):
        sg.compile([x, c], [x * c])
    with pytest.raises(TypeError, match="not a variable"):
        sg.compile([x * y], [x * y])


def test_a_repeated_input_is_rejected(xy):
    x, y = xy
    with pytest.raises(ValueError, match="repeats"):
        sg.compile([x, y, x], [x * y])


def test_an_output_depending_on_an_unlisted_variable_is_rejected(xy):
    x, y = xy
    with pytest.raises(ValueError, match="'y'.*not among the inputs"):
        sg.compile([x], [sg.exp(x * y)])


@pytest.mark.parametrize("bad", ["out", None, 1j])
def test_outputs_must_be_nodes_or_real_numbers(xy, bad):
    x, _ = xy
    with pytest.raises(TypeError, match=r"outputs\[1\]"):
        sg.compile([x], [x, bad])


# ---- output indices -----------------------------------------------------------------------
@pytest.mark.parametrize("method", ["gradient", "adjoints", "value_and_gradient"])
@pytest.mark.parametrize("k", [2, -3, 100])
def test_output_index_out_of_range(tape, method, k):
    with pytest.raises(IndexError, match="out of range"):
        getattr(tape, method)([1.0, 2.0], output=k)


def test_output_index_must_be_an_int(tape):
    for bad in (1.0, "0", True):
        with pytest.raises(TypeError, match="int"):
            tape.gradient([1.0, 2.0], output=bad)


def test_gradient_of_a_multi_output_tape_needs_an_output(tape):
    with pytest.raises(ValueError, match="output=k"):
        tape.gradient([1.0, 2.0])
    np.testing.assert_array_equal(tape.gradient([1.0, 2.0], output=-1), [math.cos(1.0), 0.0])


# ---- input values -------------------------------------------------------------------------
@pytest.mark.parametrize("values", [[1.0], [1.0, 2.0, 3.0], [], 1.0])
@pytest.mark.parametrize("method", ["__call__", "values", "gradient", "jacobian", "adjoints"])
def test_wrong_number_of_input_values_says_expected_and_got(tape, values, method):
    got = re.escape(str(np.shape(values)))  # a bare number is shape (), not (1,)
    kwargs = {"output": 0} if method in ("gradient", "adjoints") else {}
    with pytest.raises(ValueError, match=rf"expected 2 input value.*{got}") as info:
        getattr(tape, method)(values, **kwargs)
    assert "2" in str(info.value)


@pytest.mark.parametrize("method", ["jacobian", "adjoints", "value_and_gradient"])
def test_a_2d_array_is_a_batch_of_points(tape, method):
    # Every evaluation method takes a batch (B, n_inputs): one result per row, stacked.
    kwargs = {"output": 0} if method in ("adjoints", "value_and_gradient") else {}
    one = getattr(tape, method)(np.ones(2), **kwargs)
    many = getattr(tape, method)(np.ones((1, 2)), **kwargs)
    if method == "value_and_gradient":
        assert many[0].shape == (1,) and many[0][0] == one[0]
        one, many = one[1], many[1]
    np.testing.assert_array_equal(many, one[None])


@pytest.mark.parametrize("method", ["__call__", "values", "gradient", "jacobian", "adjoints",
                                    "value_and_gradient"])
def test_a_batch_of_points_must_have_one_column_per_input(tape, method):
    # These methods take a batch (B, n_inputs) of points as well as one point.
    kwargs = {"output": 0} if method in ("gradient", "adjoints", "value_and_gradient") else {}
    for shape in ((4, 3), (2, 1), (2, 2, 2)):
        with pytest.raises(ValueError, match="expected 2 input value"):
            getattr(tape, method)(np.ones(shape), **kwargs)


def test_directions_and_weights_must_be_1d_of_the_right_length(tape):
    with pytest.raises(ValueError, match="direction v of length 2"):
        tape.jvp([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="direction v of length 2"):
        tape.tangents([1.0, 2.0], [[1.0, 0.0]])
    with pytest.raises(ValueError, match="output weights w of length 2"):
        tape.vjp([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="output weights w of length 2"):
        tape.vjp([1.0, 2.0], np.ones((2, 1)))


@pytest.mark.parametrize("bad", [["a", "b"], [1j, 2.0], [None, 1.0], [True, False], None,
                                 "12"])
def test_strings_complex_and_other_non_reals_in_input_values(tape, bad):
    with pytest.raises((TypeError, ValueError), match="real numbers|expected"):
        tape(bad)
    with pytest.raises((TypeError, ValueError), match="real numbers|expected"):
        tape.jvp([1.0, 2.0], bad)


def test_nodes_as_input_values_are_refused(tape, xy):
    x, y = xy
    with pytest.raises(TypeError, match="graph node"):
        tape([x, y])


def test_integer_input_values_are_converted(tape):
    np.testing.assert_array_equal(tape([2, 3]), tape([2.0, 3.0]))


def test_an_unknown_jacobian_mode_is_rejected(tape):
    with pytest.raises(ValueError, match="'auto', 'forward' or 'reverse'"):
        tape.jacobian([1.0, 2.0], mode="sideways")


# ---- nodes without values -----------------------------------------------------------------
def test_a_node_cannot_be_turned_into_a_number(xy):
    x, _ = xy
    for convert in (float, int, round, complex, math.floor, math.ceil, math.trunc):
        with pytest.raises(TypeError, match="no value until it is evaluated"):
            convert(x)


def test_index_needs_a_node_of_the_tape(tape, xy):
    x, _ = xy
    with pytest.raises(TypeError, match="Node"):
        tape.index(0)
    with pytest.raises(ValueError, match="dead code"):
        tape.index(sg.cos(x))


def test_trace_argument_errors():
    with pytest.raises(TypeError, match="function"):
        sg.trace(3, 1)
    with pytest.raises(ValueError, match="n_inputs must be >= 0"):
        sg.trace(lambda a: a, -1)
    with pytest.raises(TypeError, match="n_inputs must be an int"):
        sg.trace(lambda a: a, 2.0)
    with pytest.raises(TypeError, match="n_inputs must be an int"):
        sg.trace(lambda a: a, True)
    with pytest.raises(TypeError, match=r"outputs\[0\]"):
        sg.trace(lambda a: "not a node", 1)


def test_a_variable_name_must_be_a_string():
    with pytest.raises(TypeError, match="str"):
        sg.var(3)


# ---- raw tape arrays are validated before any kernel sees them ----------------------------
def _raw(op, arg0, arg1, consts, outputs):
    return sg.Tape(np.array(op, dtype=np.uint8), np.array(arg0, dtype=np.int32),
                   np.array(arg1, dtype=np.int32), np.array(consts, dtype=np.float64),
                   np.array(outputs, dtype=np.int32))


def test_a_valid_raw_tape_evaluates():
    # x0 * 3.0 (mul_const with constant 0 of the pool)
    tape = _raw([sg.ops.INPUT, sg.ops.MUL_CONST], [0, 0], [-1, 0], [3.0], [1])
    assert tape([2.0]).tolist() == [6.0]
    assert tape.gradient([2.0]).tolist() == [3.0]


@pytest.mark.parametrize("arrays, message", [
    (([0, 250], [0, 0], [-1, -1], [], [1]), "unknown opcode"),
    (([0, sg.ops.EXP], [0, 1], [-1, -1], [], [1]), "parent index"),      # self-reference
    (([0, sg.ops.EXP], [0, 5], [-1, -1], [], [1]), "parent index"),      # forward reference
    (([0, sg.ops.ADD], [0, 0], [-1, 7], [], [1]), "parent index"),
    (([0, sg.ops.MUL_CONST], [0, 0], [-1, 3], [1.0], [1]), "constant pool"),
    (([0, sg.ops.CONST], [0, 2], [-1, -1], [1.0], [1]), "constant pool"),
    (([0, sg.ops.EXP], [0, 0], [-1, -1], [], [2]), "outputs"),
    (([sg.ops.EXP, 0], [0, 0], [-1, -1], [], [0]), "input"),
])
def test_invalid_raw_tape_arrays_are_rejected_before_any_kernel(arrays, message):
    with pytest.raises(ValueError, match=message):
        _raw(*arrays)
