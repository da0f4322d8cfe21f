"""Straight-line code per tape (Tape.specialize) and source export (Tape.to_source).

The oracle is the interpreter itself: the specialized code runs the same operations in the
same order, so every result must be the tape's own bit for bit (NaN payloads aside).
"""

import ctypes

import numpy as np
import pytest
import strategies
from c_export import compile_c
from hypothesis import given, note, settings

import scalargraph as sg
from scalargraph import ops
from scalargraph.bench import workloads

# What strategies.random_tape draws: every computed op but the surrogates (stop_gradient,
# link: partials that are a rule, not a derivative), which test_specialize_surrogates covers.
COMPUTED = {op.name for op in ops.OPS
            if op.kind not in (ops.INPUT_KIND, ops.CONST_KIND) and not op.surrogate}


def same_bits(a, b):
    """Equal to the last bit, NaNs equal to NaNs (payloads may differ)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape
    both_nan = np.isnan(a) & np.isnan(b)
    return bool(np.all(both_nan | (a.view(np.int64) == b.view(np.int64))))


def points(rng, x, k):
    """The drawn (kink-safe) point, then k points around and far from it, and specials."""
    n = x.shape[0]
    rows = [x, np.zeros(n), np.ones(n), -np.ones(n)]
    rows += list(x + rng.normal(0.0, 0.3, (k, n)))
    rows += list(rng.uniform(-6.0, 6.0, (k, n)))
    return np.array(rows)


def check_against_tape(tape, spec, X):
    for x in X:
        for k in range(tape.n_outputs):
            v, g = spec.value_and_gradient(x, output=k)
            vt, gt = tape.value_and_gradient(x, output=k)
            assert same_bits(v, vt) and same_bits(g, gt), (x, k, v, vt, g, gt)
        assert same_bits(spec(x), tape(x))
        d = np.linspace(-1.0, 1.0, tape.n_inputs)
        assert same_bits(spec.jvp(x, d), tape.jvp(x, d)), x


@pytest.fixture(scope="module")
def big_random():
    """A random tape holding every op of the table, specialized once for the module."""
    tape, x = strategies.random_tape(np.random.default_rng(3), 5, 260, 3)
    assert COMPUTED <= set(tape.op_counts()), COMPUTED - set(tape.op_counts())
    return tape, x, tape.specialize()


def test_every_op_bit_for_bit_on_a_random_tape(big_random):
    tape, x, spec = big_random
    check_against_tape(tape, spec, points(np.random.default_rng(0), x, 12))


def test_batches_bit_for_bit(big_random):
    tape, x, spec = big_random
    X = points(np.random.default_rng(1), x, 40)
    for k in range(tape.n_outputs):
        V, G = spec.value_and_gradient(X, output=k, workers=2)
        Vt, Gt = tape.value_and_gradient(X, output=k)
        assert same_bits(V, Vt) and same_bits(G, Gt)
        assert same_bits(spec.gradient(X, output=k), Gt)
    assert same_bits(spec(X, workers=2), tape(X))
    d = np.linspace(1.0, -1.0, tape.n_inputs)
    assert same_bits(spec.jvp(X, d), tape.jvp(X, d))
    D = np.random.default_rng(2).normal(size=X.shape)
    assert same_bits(spec.jvp(X, D), tape.jvp(X, D))


@settings(max_examples=6, deadline=None)
@given(strategies.dags(max_inputs=3, max_nodes=12, max_outputs=2))
def test_random_dags_bit_for_bit(case):
    tape, x = case
    note(strategies.describe(tape, x))
    check_against_tape(tape, tape.specialize(), points(np.random.default_rng(4), x, 3))


def test_strong_zero_matches_the_sweeps():
    # relu switches the sqrt branch off at x = 0, where sqrt'(0) = inf: the strong zero
    # gives 0, not 0 * inf = NaN, in the interpreter and the specialized code alike.
    with sg.Graph():
        x = sg.var("x")
        y = sg.relu(-x) * sg.sqrt(x) + sg.maximum(x, 0.0)
        tape = sg.compile([x], [y])
    spec = tape.specialize()
    for p in (0.0, -0.0, 1.0, -1.0, np.inf, np.nan):
        assert same_bits(spec.value_and_gradient([p])[1], tape.gradient([p])), p


def test_domke_matches_the_closed_form():
    tape = workloads.domke().tape
    spec = tape.specialize()
    for x in (-2.0, 0.0, 0.3, 1.0):
        f3 = np.exp(x) + np.exp(2 * x)
        value = np.exp(f3) + np.sin(f3)
        slope = (np.exp(f3) + np.cos(f3)) * (np.exp(x) + 2 * np.exp(2 * x))
        v, g = spec.value_and_gradient(x)
        assert v == pytest.approx(value, rel=1e-14) and g[0] == pytest.approx(slope, rel=1e-13)


def test_kernel_from_user_njit_code():
    import numba
    tape = workloads.domke().tape
    kernel = tape.specialize().kernel

    @numba.njit
    def descend(x, g, steps, lr):
        for _ in range(steps):
            kernel(x, 0, g)
            x -= lr * g
        return x

    x0 = np.array([-1.0])
    x = x0.copy()
    descend(x, np.empty(1), 3, 1e-3)
    y = x0.copy()
    for _ in range(3):
        y -= 1e-3 * tape.gradient(y)
    assert same_bits(x, y)
    with pytest.raises(ValueError, match="N_INPUTS"):
        kernel(np.zeros(2), 0, np.empty(2))
    with pytest.raises(ValueError, match="output index"):
        kernel(np.zeros(1), 1, np.empty(1))


def test_arguments_are_checked_as_the_tape_checks_them(big_random):
    tape, x, spec = big_random
    for bad in (np.zeros(4), np.zeros((3, 4)), "abc", [[1.0, 2.0]]):
        with pytest.raises((ValueError, TypeError)) as e_spec:
            spec.value_and_gradient(bad, output=0)
        with pytest.raises((ValueError, TypeError)) as e_tape:
            tape.value_and_gradient(bad, output=0)
        assert str(e_spec.value) == str(e_tape.value)
    ints = np.array([1, 0, -1, 2, 1])  # converted as the tape converts them
    assert same_bits(spec(ints), tape(ints))
    assert same_bits(spec.gradient(ints, output=2), tape.gradient(ints, output=2))
    assert same_bits(spec(x[::-1].copy()[::-1]), tape(x))  # a non-contiguous view
    with pytest.raises(IndexError):
        spec.gradient(x, output=3)
    with pytest.raises(ValueError, match="outputs"):
        spec.gradient(x)  # three outputs: which one?
    with pytest.raises(ValueError, match="direction"):
        spec.jvp(x, np.zeros(2))
    with pytest.raises(ValueError):
        spec.jvp(np.zeros((3, 5)), np.zeros((2, 5)))
    with pytest.raises(ValueError, match="workers"):
        spec(np.zeros((3, 5)), workers=0)


def test_large_tapes_are_refused_with_the_reason():
    tape, _ = strategies.random_tape(np.random.default_rng(5), 2, 40, 1)
    with pytest.raises(ValueError, match="compile time.*interpreter"):
        tape.specialize(max_nodes=10)
    with pytest.raises(TypeError, match="max_nodes"):
        tape.specialize(max_nodes=1e6)


def test_the_cache_file_is_named_by_the_tape_content(big_random):
    from scalargraph import specialize
    tape, _, spec = big_random
    path = spec._m.__file__
    assert specialize.tape_digest(tape) in path
    from pathlib import Path
    assert Path(path).read_text() == sg.source_numba.numba_module(tape) == spec.source
    same = sg.Tape(tape.op, tape.arg0, tape.arg1, tape.consts, tape.outputs)
    assert same.specialize()._m is spec._m
    other = sg.Tape(tape.op, tape.arg0, tape.arg1, tape.consts + 1.0, tape.outputs)
    assert specialize.tape_digest(other) != specialize.tape_digest(tape)


# ---- source export ---------------------------------------------------------------------------
def test_python_source_of_domke_reads_as_the_textbook():
    tape = workloads.domke().tape
    text = tape.to_source("python")
    assert "v1 = exp(x)" in text and "g0 = g1 * v1" in text and "g3 = g5 * cos(v3) + g4 * v4" in text  # d exp(x)/dx = exp(x) = v1
    namespace = {}
    exec(text, namespace)  # noqa: S102 -- the export is meant to run
    for x in (-1.0, 0.0, 0.5):
        v, g = namespace["value_and_gradient"]([x])
        vt, gt = tape.value_and_gradient([x])
        assert v == vt and g[0] == gt[0]  # the same operations in plain Python


def test_python_source_of_every_op(big_random):
    tape, x, _ = big_random
    namespace = {}
    exec(tape.to_source("python", output=1), namespace)  # noqa: S102
    v, g = namespace["value_and_gradient"](list(x))
    vt, gt = tape.value_and_gradient(x, output=1)
    # Python's math is the same libm, but without strong zeros: equal at this finite point.
    assert v == pytest.approx(vt, rel=1e-12) and np.allclose(g, gt, rtol=1e-12, atol=1e-300)


def test_to_source_rejects_unknown_languages():
    tape = workloads.domke().tape
    with pytest.raises(ValueError, match="language"):
        tape.to_source("fortran")


def test_c_source_compiles_and_matches_the_tape(tmp_path, big_random):
    tape, x, _ = big_random
    dll = compile_c(tmp_path, tape.to_source("c"))
    ptr = ctypes.POINTER(ctypes.c_double)
    X = points(np.random.default_rng(6), x, 10)
    exact = total = 0
    for p in X:
        p = np.ascontiguousarray(p)
        for k in range(tape.n_outputs):
            g = np.empty(tape.n_inputs)
            v = dll.tape_value_and_gradient(p.ctypes.data_as(ptr), k, g.ctypes.data_as(ptr))
            vt, gt = tape.value_and_gradient(p, output=k)
            total += 1
            exact += same_bits(v, vt) and same_bits(g, gt)
            # Stated tolerance where libm and Numba's math differ (Numba may use its own
            # implementations of a few functions): 1e-12 relative.
            assert np.allclose([v, *g], [vt, *gt], rtol=1e-12, atol=1e-300, equal_nan=True)
        out, outt = np.empty(tape.n_outputs), tape(p)
        dll.tape_values(p.ctypes.data_as(ptr), out.ctypes.data_as(ptr))
        assert np.allclose(out, outt, rtol=1e-12, atol=1e-300, equal_nan=True)
        d = np.linspace(-1.0, 1.0, tape.n_inputs)
        dll.tape_jvp(p.ctypes.data_as(ptr), d.ctypes.data_as(ptr), out.ctypes.data_as(ptr))
        assert np.allclose(out, tape.jvp(p, d), rtol=1e-12, atol=1e-300, equal_nan=True)
    # How many agreed to the last bit (printed with -s); glibc and Numba agree here.
    print(f"C export: {exact}/{total} value-and-gradient results equal to the last bit")
    assert exact == total


def test_c_source_of_domke_is_exact(tmp_path):
    tape = workloads.domke().tape
    dll = compile_c(tmp_path, tape.to_source("c"))
    ptr = ctypes.POINTER(ctypes.c_double)
    for x in np.linspace(-3.0, 1.5, 31):
        p, g = np.array([x]), np.empty(1)
        v = dll.tape_value_and_gradient(p.ctypes.data_as(ptr), 0, g.ctypes.data_as(ptr))
        vt, gt = tape.value_and_gradient(p)
        assert same_bits(v, vt) and same_bits(g, gt), x


def test_specialize_surrogates():
    x, y = sg.var("x"), sg.var("y")
    f = sg.custom_gradient(sg.sin(x) * y, [x, y], [sg.cos(x) * y, sg.sin(x)]) + sg.stop_gradient(x * y)
    tape = sg.compile([x, y], [f])
    assert {"stop_gradient", "link"} <= set(tape.op_counts())
    check_against_tape(tape, tape.specialize(), np.array([[0.3, 0.7], [-1.2, 2.0], [0.0, -0.0]]))
