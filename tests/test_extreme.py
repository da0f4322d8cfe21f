"""Extreme graphs and odd arguments: sizes and shapes at the edges, clear errors for bad input.

Oracles: closed forms (products of a constant, sums of integers, which float64 holds
exactly), the other AD mode, and the float64 conversion of an argument for the inputs that
are converted. The 10^6-node tapes are built straight from arrays (fast); the same shapes
recorded through the Python API are marked slow.
"""

import math

import numpy as np
import pytest

import scalargraph as sg
from scalargraph import ops

MILLION = 10 ** 6


def chain_tape(n, c):
    """x -> x*c -> (x*c)*c -> ... : n mul_const nodes after the input."""
    op = np.full(n + 1, ops.MUL_CONST, dtype=np.uint8)
    op[0] = ops.INPUT
    arg0 = np.arange(-1, n, dtype=np.int32)
    arg0[0] = 0
    arg1 = np.zeros(n + 1, dtype=np.int32)
    arg1[0] = -1
    return sg.Tape(op, arg0, arg1, [c], [n])


def wide_sum_tape(n):
    """n inputs added left to right: x0 + x1, then + x2, ... (n - 1 add nodes)."""
    op = np.concatenate([np.full(n, ops.INPUT), np.full(n - 1, ops.ADD)]).astype(np.uint8)
    arg0 = np.concatenate([np.arange(n), [0], np.arange(n, 2 * n - 2)]).astype(np.int32)
    arg1 = np.concatenate([np.full(n, -1), np.arange(1, n)]).astype(np.int32)
    return sg.Tape(op, arg0, arg1, [], [2 * n - 2])


def test_million_deep_chain():
    c = 1.0 + 2.0 ** -20
    tape = chain_tape(MILLION, c)
    want = math.exp(MILLION * math.log1p(2.0 ** -20))  # c ** n; n rounding errors of 1.1e-16
    assert tape([1.0])[0] == pytest.approx(want, rel=1e-9)
    assert tape.gradient([1.0])[0] == pytest.approx(want, rel=1e-9)
    assert tape.jvp([1.0], [1.0])[0] == pytest.approx(want, rel=1e-9)
    forward, reverse = tape.jacobian([2.0], "forward"), tape.jacobian([2.0], "reverse")
    assert forward[0, 0] == pytest.approx(want, rel=1e-9)
    assert reverse[0, 0] == pytest.approx(want, rel=1e-9)
    adjoints = tape.adjoints([1.0])  # d y / d node k = c ** (n - k)
    assert adjoints[-1] == 1.0 and adjoints[-2] == c and adjoints[0] == tape.gradient([1.0])[0]


def test_million_wide_sum():
    n = MILLION
    tape = wide_sum_tape(n)
    rng = np.random.default_rng(5)
    x = rng.integers(-2 ** 20, 2 ** 20, n).astype(float)  # integer sums are exact
    assert tape(x)[0] == float(x.sum())
    assert np.array_equal(tape.gradient(x), np.ones(n))
    v = rng.integers(-1000, 1000, n).astype(float)
    assert tape.jvp(x, v)[0] == float(v.sum())
    jacobian = tape.jacobian(x)  # "auto" picks reverse: one sweep, not n / 64
    assert jacobian.shape == (1, n) and np.array_equal(jacobian[0], np.ones(n))


def test_node_with_a_hundred_thousand_children():
    k = 10 ** 5
    x = sg.var("x")
    total = sum(x * float(j) for j in range(2, k + 1))  # x * 1.0 would be x itself
    total = total + x
    tape = sg.compile([x], [total])
    want = k * (k + 1) // 2  # the adjoint of x collects one term from each of its k children
    assert tape.gradient([3.0])[0] == want
    assert tape.jvp([3.0], [1.0])[0] == want
    assert tape([3.0])[0] == 3 * want
    assert int(np.count_nonzero((tape.arg0 == 0) & (tape.op == ops.MUL_CONST))) == k - 1


def test_graph_with_no_inputs():
    for tape in (sg.compile([], [sg.const(2.0) * 3.0 + 1.0]), sg.trace(lambda: 7.0, 0)):
        assert tape.n_inputs == 0
        assert tape([]).tolist() == [7.0] and tape(np.empty(0)).tolist() == [7.0]
        assert tape.gradient([]).shape == (0,)
        assert tape.jacobian([]).shape == (1, 0)
        assert tape.jvp([], []).tolist() == [0.0]
        assert tape.vjp([], [1.0]).shape == (0,)
        assert tape.adjoints([], output=0)[-1] == 1.0
        with pytest.raises(ValueError, match="expected 0 input value"):
            tape([1.0])


def test_constant_outputs():
    x = sg.var("x")
    tape = sg.compile([x], [5.0, sg.const(-0.0), x])
    values = tape([2.0])
    assert values.tolist() == [5.0, 0.0, 2.0] and math.copysign(1.0, values[1]) == -1.0
    assert tape.gradient([2.0], output=0).tolist() == [0.0]
    assert tape.jacobian([2.0], "forward").tolist() == [[0.0], [0.0], [1.0]]
    assert tape.jacobian([2.0], "reverse").tolist() == [[0.0], [0.0], [1.0]]


def test_one_node_as_several_outputs():
    x, y = sg.var("x"), sg.var("y")
    f = x * sg.sin(y)
    tape = sg.compile([x, y], [f, f, x, f])
    point = [2.0, 0.5]
    grad = np.array([math.sin(0.5), 2.0 * math.cos(0.5)])
    want = np.array([grad, grad, [1.0, 0.0], grad])
    assert np.allclose(tape.jacobian(point, "forward"), want, rtol=1e-15, atol=0)
    assert np.allclose(tape.jacobian(point, "reverse"), want, rtol=1e-15, atol=0)
    w = np.array([1.0, -3.0, 0.5, 10.0])
    assert np.allclose(tape.vjp(point, w), w @ want, rtol=1e-14)
    assert tape.n_outputs == 4 and len(set(tape.outputs.tolist())) == 2


def test_no_outputs_and_no_nodes():
    x = sg.var("x")
    tape = sg.compile([x], [])
    assert tape([1.0]).shape == (0,) and tape.jacobian([1.0]).shape == (0, 1)
    assert tape.vjp([1.0], []).tolist() == [0.0]
    with pytest.raises(ValueError, match="0 outputs"):
        tape.gradient([1.0])
    empty = sg.Tape([], [], [], [], [])
    assert empty([]).shape == (0,) and empty.values([]).shape == (0,)


def test_huge_tapes_save_and_pickle(tmp_path):
    import pickle
    tape = chain_tape(MILLION, 1.5)
    tape.save(tmp_path / "deep.tape")
    back = sg.load(tmp_path / "deep.tape")
    assert back.arg0.tobytes() == tape.arg0.tobytes()
    assert back([0.25])[0] == tape([0.25])[0]
    data = pickle.dumps(tape)
    assert len(data) < tape.nbytes + 1024
    # 1.5 ** 10^6 overflows: NaN (kernels/reach.py), in the copy as in the original.
    np.testing.assert_array_equal(pickle.loads(data).gradient([1.0]), tape.gradient([1.0]))


@pytest.mark.slow
def test_million_deep_chain_recorded():
    x = sg.var("x")
    z = x
    for _ in range(MILLION // 2):
        z = -(z + 1.0)  # two nodes; after an even count of pairs z = x again
    tape = sg.compile([x], [z])
    assert tape.n_nodes == MILLION + 1  # the input and the chain (constants sit in the pool)
    assert tape([0.75]).tolist() == [0.75]
    assert tape.gradient([0.75]).tolist() == [1.0]
    assert tape.jvp([0.75], [2.0]).tolist() == [2.0]


@pytest.mark.slow
def test_million_wide_sum_recorded():
    xs = sg.variables(MILLION)
    tape = sg.compile(xs, [sg.sum(xs)])
    x = np.arange(MILLION, dtype=float)
    assert tape(x)[0] == MILLION * (MILLION - 1) / 2
    assert np.array_equal(tape.gradient(x), np.ones(MILLION))


# ---- odd arguments, by name ---------------------------------------------------------------
def small_tape():
    x, y = sg.var("x"), sg.var("y")
    return sg.compile([x, y], [x * y + sg.sin(x)])


@pytest.mark.parametrize("arg, error, words", [
    ([1.0], ValueError, "expected 2 input value"),
    ([1.0, 2.0, 3.0], ValueError, "expected 2 input value"),
    ([[1.0, 2.0, 3.0]], ValueError, "expected 2 input value"),
    (np.zeros((2, 2, 1)), ValueError, "expected 2 input value"),
    (["1.0", "2.0"], TypeError, "must be real numbers"),
    ("12", TypeError, "must be real numbers"),
    (None, TypeError, "must be real numbers"),
    ([None, 1.0], TypeError, "must be real numbers"),
    ([1 + 2j, 0.0], TypeError, "must be real numbers"),
    ([True, False], TypeError, "must be real numbers"),
    (np.array(["2001-01-01", "2002-01-01"], dtype="M8[D]"), TypeError, "must be real numbers"),
    ({"x": 1.0, "y": 2.0}, TypeError, "must be real numbers"),
    ([2 ** 70, 1], TypeError, "must be real numbers"),
    ([[1.0, 2.0], [3.0]], TypeError, "must be real numbers"),
])
def test_bad_points_get_clear_errors(arg, error, words):
    tape = small_tape()
    for call in (tape, tape.values, tape.gradient, lambda a: tape.jvp(a, [1.0, 0.0]),
                 lambda a: tape.jacobian(a, "reverse"), lambda a: tape.vjp(a, [1.0])):
        with pytest.raises(error, match=words):
            call(arg)


def test_object_arrays_of_nodes_are_refused_with_a_hint():
    x, y = sg.var("x"), sg.var("y")
    tape = sg.compile([x, y], [x * y])
    with pytest.raises(TypeError, match="holding graph nodes"):
        tape(np.array([x, y], dtype=object))
    with pytest.raises(TypeError, match="got a graph node"):
        tape.values(x)
    with pytest.raises(TypeError, match="holding graph nodes"):
        tape.jvp([1.0, 2.0], [x, 1.0])


def test_bad_directions_and_weights():
    tape = small_tape()
    with pytest.raises(ValueError, match="direction v of length 2"):
        tape.jvp([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="direction v of length 2"):
        tape.jvp([1.0, 2.0], [[1.0, 2.0]])
    with pytest.raises(TypeError, match="direction v must be real numbers"):
        tape.tangents([1.0, 2.0], ["a", "b"])
    with pytest.raises(ValueError, match="output weights w of length 1"):
        tape.vjp([1.0, 2.0], [1.0, 2.0])


def test_integer_and_float32_points_are_converted_exactly():
    tape = small_tape()
    for arg in ([3, -2], np.array([3, -2], dtype=np.int8), np.array([3, 2], dtype=np.uint64),
                np.array([0.1, 0.7], np.float32),
                np.array([0.1, 0.7], np.float16), np.array([1.5, 2.5])[::-1],
                np.array([0.1, 0.7], dtype=">f8"), (0.5, 2)):
        want = np.asarray(arg).astype(np.float64)
        assert tape(arg).tobytes() == tape(want).tobytes()
        assert tape.gradient(arg).tobytes() == tape.gradient(want).tobytes()
        assert tape.jvp(arg, arg).tobytes() == tape.jvp(want, want).tobytes()
