"""Adversarial checks of the routes that compute a tape's numbers outside the sweeps: the
straight-line code of ``Tape.specialize``, the C export and the explorer page.

The oracle is the interpreter (the Numba sweeps, another route): the straight-line code and
the C source claim its bits.
"""

import ctypes
import math

import numpy as np
import pytest

import scalargraph as sg

from c_export import compile_c


def same_bits(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return bool(np.all((np.isnan(a) & np.isnan(b)) | (a.view(np.int64) == b.view(np.int64))))


def _constant_tape():
    """Constants where compilers rewrite library calls written with literals: pow(x, -1.0)
    as 1 / x, pow(8.0, x) as exp2(3 x) (LLVM), log1p(2.0) folded with MPFR (GCC)."""
    with sg.Graph():
        x = sg.var("x")
        outs = [x ** -1.0, 8.0 ** x, 0.5 ** x, x ** sg.const(-1.0), sg.const(8.0) ** x,
                sg.exp2(sg.const(1.0 / 3.0)) * x]
        outs += [f(sg.const(c)) * x for f, c in ((sg.log1p, 2.0), (sg.sinh, 2.0),
                                                  (sg.acosh, 2.0), (sg.atanh, 0.5),
                                                  (sg.erfc, 2.0), (sg.erfc, -1.0))]
        return sg.compile([x], outs)


def _constant_points():
    rng = np.random.default_rng(7)
    return np.concatenate([[0.49999999999999994, 0.5, 1.0, 3.0, -2.5],
                           rng.uniform(-30.0, 30.0, 200)])


def test_specialize_reads_constants_as_the_interpreter_does():
    # Before the fix LLVM folded the literal constants: 8 ** x was exp2(3 x), ~20 % of the
    # points off by up to ~50 ulp, and 0.49999999999999994 ** -1 gave 2.0000000000000004
    # (1 / x) where the interpreter's libm pow gives 2.0.
    tape = _constant_tape()
    spec = tape.specialize()
    X = _constant_points()[:, None]
    assert same_bits(spec(X), tape(X))
    for k in range(tape.n_outputs):
        v, g = spec.value_and_gradient(X, output=k)
        vt, gt = tape.value_and_gradient(X, output=k)
        assert same_bits(v, vt) and same_bits(g, gt), k
    assert same_bits(spec.jvp(X, np.ones(1)), tape.jvp(X, np.ones(1)))


def test_c_source_reads_constants_as_the_interpreter_does(tmp_path):
    # Before the fix GCC rewrote pow(x, -1.0) as 1.0 / x and folded log1p(2.0), sinh(2.0),
    # acosh(2.0), atanh(0.5), erfc(2.0) ... with MPFR (correctly rounded), not glibc's bits.
    tape = _constant_tape()
    dll = compile_c(tmp_path, tape.to_source("c"))
    ptr = ctypes.POINTER(ctypes.c_double)
    m = tape.n_outputs
    for p in _constant_points():
        x = np.array([p])
        out = np.empty(m)
        dll.tape_values(x.ctypes.data_as(ptr), out.ctypes.data_as(ptr))
        assert same_bits(out, tape(x)), p
        for k in range(m):
            g = np.empty(1)
            v = dll.tape_value_and_gradient(x.ctypes.data_as(ptr), k, g.ctypes.data_as(ptr))
            vt, gt = tape.value_and_gradient(x, output=k)
            assert same_bits(v, vt) and same_bits(g, gt), (p, k)


def test_python_source_raises_where_pow_has_no_real_value():
    # Python's ** gave a complex number for (-8.0) ** (1/3), silently, where the tape gives
    # NaN; the Python rendering raises there (math.pow), as it does for log(0) and x / 0.
    with sg.Graph():
        x = sg.var("x")
        tape = sg.compile([x], [x ** (1.0 / 3.0) + 2.0 ** x + x ** sg.const(3.0)])
    namespace = {}
    exec(tape.to_source("python"), namespace)  # noqa: S102
    assert math.isnan(tape([-8.0])[0])
    with pytest.raises(ValueError):
        namespace["value_and_gradient"]([-8.0])
    for p in (0.3, 1.0, 8.0, 27.5):  # elsewhere, math.pow is the same libm pow: the same bits
        v, g = namespace["value_and_gradient"]([p])
        vt, gt = tape.value_and_gradient([p])
        assert same_bits(v, vt) and same_bits(g, gt), p


def test_a_negative_nan_constant_keeps_its_sign_in_every_rendering(tmp_path):
    # literal() wrote every NaN as nan, dropping the sign bit that copysign reads: the
    # specialized code, the C and the Python source gave copysign(2, -nan) = +2, the tape -2.
    with sg.Graph():
        x = sg.var("x")
        f = sg.copysign(x, sg.const(-math.nan)) + 10.0 * sg.copysign(x, sg.const(math.nan))
        tape = sg.compile([x], [f])
    assert tape([2.0])[0] == 18.0  # -2 + 20: the interpreter reads the constant's bits
    assert same_bits(tape.specialize()([2.0]), [18.0])
    namespace = {}
    exec(tape.to_source("python"), namespace)  # noqa: S102
    assert namespace["value_and_gradient"]([2.0])[0] == 18.0
    dll = compile_c(tmp_path, tape.to_source("c"))
    ptr = ctypes.POINTER(ctypes.c_double)
    p, out = np.array([2.0]), np.empty(1)
    dll.tape_values(p.ctypes.data_as(ptr), out.ctypes.data_as(ptr))
    assert out[0] == 18.0


def test_a_tape_without_outputs_says_so_instead_of_asking_for_one():
    with sg.Graph():
        x = sg.var("x")
        tape = sg.compile([x], [])
    for call in (lambda: tape.to_source("python"), lambda: tape.gradient([1.0])):
        with pytest.raises(ValueError, match="0 outputs") as err:
            call()
        assert "pass output=k" not in str(err.value)


def _warning_tapes():
    """A tape that calls no C helper, one that calls some, and edge shapes (no inputs, an
    input that no output reads, a constant output)."""
    with sg.Graph():
        x, y = sg.var("x"), sg.var("y")
        yield sg.compile([x, y], [x * y]), (3.0, -2.0), (-6.0, (-2.0, 3.0))
    with sg.Graph():
        x, y = sg.var("x"), sg.var("y")
        yield (sg.compile([x, y], [sg.sigmoid(x) + sg.where(sg.gt(x, y), x, y)]), (0.0, -1.0),
               (0.5, (1.25, 0.0)))
    with sg.Graph():
        x, y = sg.var("x"), sg.var("y")
        yield sg.compile([x, y], [x + 1.0, sg.const(2.0)]), (4.0, 9.0), (5.0, (1.0, 0.0))


def test_c_source_compiles_without_warnings(tmp_path):
    # Every helper was written static, and a tape that called few of them drew a
    # -Wunused-function warning per unused helper under -Wall (an error under -Werror).
    for k, (tape, point, (value, gradient)) in enumerate(_warning_tapes()):
        d = tmp_path / str(k)
        d.mkdir()
        dll = compile_c(d, tape.to_source("c"), flags=("-Wall", "-Wextra", "-Werror"))
        ptr = ctypes.POINTER(ctypes.c_double)
        p, g = np.array(point), np.empty(2)
        v = dll.tape_value_and_gradient(p.ctypes.data_as(ptr), 0, g.ctypes.data_as(ptr))
        assert (v, tuple(g)) == (value, gradient)  # closed forms, exact in binary


def test_c_prefix_must_be_an_ascii_identifier():
    # str.isidentifier() accepts letters that C99 compilers need not (and C89 ones do not).
    from scalargraph.source_c import c_source
    with sg.Graph():
        x = sg.var("x")
        tape = sg.compile([x], [x * x])
    assert "double my_tape2_value_and_gradient(" in c_source(tape, "my_tape2")
    for bad in ("tapé", "ταινία", "2tape", "my-tape", ""):
        with pytest.raises(ValueError, match="C identifier"):
            c_source(tape, bad)
