"""Values, first and second derivatives of the elementary ops against mpmath, in ulps.

An arbitrary-precision oracle (mpmath at 120 digits, closed-form derivatives written here)
over each op's domain, its tails and its edges. The error of a float result r against the
exact value e is |r - e| / ulp(e), so "2" means two units in the last place of the true
result. Each op has a bound per order (value, first, second derivative); the measured
maxima are printed by ``python tests/test_accuracy.py`` (the table of the closing note and
the README).

What the bounds allow: libm's own error (about 1 ulp) and the extra roundings of a partial
rule (a constant times a libm call, a quotient). The Gaussian factor exp(-x^2) of erf/erfc
splits x^2 exactly (ops._GAUSS): from a rounded x * x it was off by x^2 eps, a few hundred
ulps before the value underflows at |x| = 27.
"""

import math
import sys

import mpmath
import numpy as np
import pytest

import scalargraph as sg

mp = mpmath.mp
mp.dps = 120


def _cbrt(x):
    return mpmath.sign(x) * mpmath.cbrt(abs(x))  # real root (mpmath's is the principal one)


def _sig(x):
    return 1 / (1 + mpmath.exp(-x))


def _ds(x):
    return _sig(x) * _sig(-x)


SQPI = 2 / mpmath.sqrt(mpmath.pi)
LN2, LN10 = mpmath.log(2), mpmath.log(10)

# name -> (f, f', f'') on mpf numbers, and the sample points (floats in the domain).
_G = np.geomspace(1e-6, 1.0, 12)
SYM = np.concatenate([-_G[::-1], _G, np.linspace(-3.0, 3.0, 13)[1:-1] + 0.013])
UNARY = {
    "exp": (mpmath.exp, mpmath.exp, mpmath.exp, np.concatenate([SYM, [-700.0, -30.0, 30.0, 700.0]])),
    "log1p": (mpmath.log1p, lambda x: 1 / (1 + x), lambda x: -1 / (1 + x) ** 2,
              np.concatenate([_G, -_G[:-1], [-0.999999, -0.9, 10.0, 1e10, 1e300]])),
    "expm1": (mpmath.expm1, mpmath.exp, mpmath.exp, np.concatenate([SYM, [-40.0, 40.0, 700.0]])),
    "log2": (lambda x: mpmath.log(x, 2), lambda x: 1 / (x * LN2), lambda x: -1 / (x * x * LN2),
             np.array([1e-300, 1e-10, 0.3, 0.999, 1.001, 2.5, 1e10, 1e300])),
    "log10": (mpmath.log10, lambda x: 1 / (x * LN10), lambda x: -1 / (x * x * LN10),
              np.array([1e-300, 1e-10, 0.3, 0.999, 1.001, 2.5, 1e10, 1e300])),
    "exp2": (lambda x: mpmath.power(2, x), lambda x: mpmath.power(2, x) * LN2,
             lambda x: mpmath.power(2, x) * LN2 ** 2,
             np.concatenate([SYM, [-1000.0, -50.5, 50.5, 1000.0]])),
    "sinh": (mpmath.sinh, mpmath.cosh, mpmath.sinh, np.concatenate([SYM, [-700.0, 30.0, 700.0]])),
    "cosh": (mpmath.cosh, mpmath.sinh, mpmath.cosh, np.concatenate([SYM, [-700.0, 30.0, 700.0]])),
    "asin": (mpmath.asin, lambda x: 1 / mpmath.sqrt(1 - x * x), lambda x: x / (1 - x * x) ** 1.5,
             np.concatenate([_G[:-1], -_G[:-1], [0.5, -0.9, 0.999, -0.999999, 1 - 2.0 ** -30]])),
    "acos": (mpmath.acos, lambda x: -1 / mpmath.sqrt(1 - x * x), lambda x: -x / (1 - x * x) ** 1.5,
             np.concatenate([_G[:-1], -_G[:-1], [0.5, -0.9, 0.999, -0.999999, 1 - 2.0 ** -30]])),
    "atan": (mpmath.atan, lambda x: 1 / (1 + x * x), lambda x: -2 * x / (1 + x * x) ** 2,
             np.concatenate([SYM, [1e10, -1e70]])),
    "asinh": (mpmath.asinh, lambda x: 1 / mpmath.sqrt(1 + x * x),
              lambda x: -x / (1 + x * x) ** 1.5, np.concatenate([SYM, [1e10, -1e200]])),
    "acosh": (mpmath.acosh, lambda x: 1 / mpmath.sqrt(x * x - 1),
              lambda x: -x / (x * x - 1) ** 1.5,
              np.array([1 + 2.0 ** -40, 1.001, 1.5, 2.0, 10.0, 1e10, 1e200])),
    "atanh": (mpmath.atanh, lambda x: 1 / (1 - x * x), lambda x: 2 * x / (1 - x * x) ** 2,
              np.concatenate([_G[:-1], -_G[:-1], [0.5, -0.9, 0.999, -0.999999]])),
    "erf": (mpmath.erf, lambda x: SQPI * mpmath.exp(-x * x),
            lambda x: -2 * x * SQPI * mpmath.exp(-x * x),
            np.concatenate([SYM, [-5.5, 5.3, 9.7, 26.0, -26.3]])),
    "erfc": (mpmath.erfc, lambda x: -SQPI * mpmath.exp(-x * x),
             lambda x: 2 * x * SQPI * mpmath.exp(-x * x),
             np.concatenate([SYM, [-5.5, 5.3, 9.7, 26.0, 26.3]])),
    "cbrt": (_cbrt, lambda x: 1 / (3 * _cbrt(x) ** 2), lambda x: -2 / (9 * _cbrt(x) ** 5),
             np.concatenate([SYM, [1e-300, -1e300, 27.0]])),
    "sigmoid": (_sig, _ds, lambda x: _ds(x) * (_sig(-x) - _sig(x)),
                np.concatenate([SYM, [-700.0, -40.0, -20.0, 20.0, 40.0, 700.0]])),
    "tanh": (mpmath.tanh, lambda x: 1 / mpmath.cosh(x) ** 2,
             lambda x: -2 * mpmath.tanh(x) / mpmath.cosh(x) ** 2,
             np.concatenate([SYM, [-300.0, -20.0, 20.0, 300.0]])),
    "softplus": (lambda x: mpmath.log1p(mpmath.exp(x)), _sig, _ds,
                 np.concatenate([SYM, [-700.0, -40.0, 40.0, 700.0]])),
    "dsigmoid": (_ds, lambda x: _ds(x) * (_sig(-x) - _sig(x)),
                 lambda x: _ds(x) * ((_sig(-x) - _sig(x)) ** 2 - 2 * _ds(x)),
                 np.concatenate([SYM, [-700.0, -40.0, 40.0, 700.0]])),
    "log_sigmoid": (lambda x: -mpmath.log1p(mpmath.exp(-x)), lambda x: _sig(-x),
                    lambda x: -_ds(x), np.concatenate([SYM, [-700.0, -40.0, 40.0, 700.0]])),
    "silu": (lambda x: x * _sig(x), lambda x: _sig(x) + x * _ds(x),
             lambda x: 2 * _ds(x) + x * _ds(x) * (_sig(-x) - _sig(x)),
             np.concatenate([SYM, [-700.0, -40.0, 40.0, 700.0]])),
    "gelu": (lambda x: x * mpmath.ncdf(x), lambda x: mpmath.ncdf(x) + x * mpmath.npdf(x),
             lambda x: (2 - x * x) * mpmath.npdf(x),
             np.concatenate([SYM, [-37.0, -10.0, 10.0]])),
    "elu": (lambda x: x if x > 0 else mpmath.expm1(x), lambda x: 1 if x > 0 else mpmath.exp(x),
            lambda x: 0 if x > 0 else mpmath.exp(x), np.concatenate([SYM, [-700.0, 40.0]])),
}


def _atan2(a, b):
    return mpmath.atan2(a, b)


def _r2(a, b):
    return a * a + b * b


# name -> (f, grad, hessian) of two operands.
BINARY = {
    "atan2": (_atan2, lambda a, b: (b / _r2(a, b), -a / _r2(a, b)),
              lambda a, b: ((-2 * a * b / _r2(a, b) ** 2, (a * a - b * b) / _r2(a, b) ** 2),
                            ((a * a - b * b) / _r2(a, b) ** 2, 2 * a * b / _r2(a, b) ** 2))),
    "hypot": (lambda a, b: mpmath.sqrt(_r2(a, b)),
              lambda a, b: (a / mpmath.sqrt(_r2(a, b)), b / mpmath.sqrt(_r2(a, b))),
              lambda a, b: ((b * b / _r2(a, b) ** 1.5, -a * b / _r2(a, b) ** 1.5),
                            (-a * b / _r2(a, b) ** 1.5, a * a / _r2(a, b) ** 1.5))),
    "logaddexp": (lambda a, b: mpmath.log(mpmath.exp(a) + mpmath.exp(b)),
                  lambda a, b: (_sig(a - b), _sig(b - a)),
                  lambda a, b: ((_ds(a - b), -_ds(a - b)), (-_ds(a - b), _ds(a - b)))),
    "pow": (lambda a, b: mpmath.power(a, b),
            lambda a, b: (b * mpmath.power(a, b - 1), mpmath.power(a, b) * mpmath.log(a)),
            lambda a, b: ((b * (b - 1) * mpmath.power(a, b - 2),
                           mpmath.power(a, b - 1) * (1 + b * mpmath.log(a))),
                          (mpmath.power(a, b - 1) * (1 + b * mpmath.log(a)),
                           mpmath.power(a, b) * mpmath.log(a) ** 2))),
}
_RNG = np.random.default_rng(13)
PAIRS = {
    "atan2": np.concatenate([_RNG.uniform(-3, 3, (24, 2)), [[1e-200, 1.0], [1e200, -1.0],
                                                            [-1e-300, -1e-300]]]),
    "hypot": np.concatenate([_RNG.uniform(-3, 3, (24, 2)), [[1e200, 1e200], [1e-200, 3e-200],
                                                            [1.0, 1e-10]]]),
    "logaddexp": np.concatenate([_RNG.uniform(-3, 3, (24, 2)), [[700.0, 690.0], [-700.0, 5.0],
                                                                [40.0, -40.0], [1.0, 1.0]]]),
    "pow": np.concatenate([np.abs(_RNG.uniform(0.1, 3, (24, 2))), [[4.0, 0.5], [0.5, 3.0],
                                                                   [2.5, -1.5]]]),
}

# Bounds in ulps (value, first derivative, second derivative; for the binary ops the second
# derivative normwise, in ulps of the Hessian's largest entry), a little above what was
# measured (``python tests/test_accuracy.py`` prints the measured maxima).
BOUNDS = {
    "exp": (1, 1, 1), "log1p": (1, 2, 3), "expm1": (1, 1, 1), "log2": (1, 1, 2),
    "log10": (1, 1, 1), "exp2": (1, 2, 2), "sinh": (1, 1, 1), "cosh": (1, 1, 1),
    "asin": (1, 1, 5), "acos": (1, 1, 5), "atan": (1, 2, 3), "asinh": (1, 1, 4),
    "acosh": (1, 1, 3), "atanh": (1, 2, 3), "erf": (1, 2, 4), "erfc": (2, 2, 4),
    "cbrt": (1, 2, 7), "sigmoid": (1, 2, 4), "tanh": (2, 2, 3), "softplus": (1, 1, 2),
    "dsigmoid": (2, 4, 10), "log_sigmoid": (1, 1, 2), "silu": (2, 6, 8),
    # gelu: x / sqrt(2) is rounded before erfc, a relative error x^2 eps / 2 far left
    "gelu": (600, 800, 900), "elu": (1, 1, 1),
    "atan2": (1, 2, 4), "hypot": (1, 2, 3), "logaddexp": (1, 2, 4), "pow": (1, 2, 3),
}


def ulps(got, exact):
    """|got - exact| in units of the last place of the exact value (both as mpf)."""
    exact = mpmath.mpf(exact)
    e = float(exact)
    if e == 0.0:
        return 0.0 if float(got) == 0.0 else math.inf
    if math.isinf(e):
        return 0.0  # the exact result overflows: not representable, nothing to compare
    if abs(e) < 2.0 ** -1000:
        return 0.0  # subnormal results: absolute accuracy only
    return float(abs(mpmath.mpf(float(got)) - exact) / math.ulp(e))


def _normwise(got, exact, scale):
    """|got - exact| in ulps of ``scale`` (the largest entry of the exact matrix)."""
    s = float(scale)
    if s == 0.0 or math.isinf(s):
        return 0.0 if float(got) == float(exact) else math.inf
    return float(abs(mpmath.mpf(float(got)) - exact) / math.ulp(s))


def _unary_tape(name):
    fn = getattr(sg, name)
    x = sg.var("x")
    return sg.compile([x], [fn(x)])


def _binary_tape(name):
    x, y = sg.var("x"), sg.var("y")
    node = x ** y if name == "pow" else getattr(sg, name)(x, y)
    return sg.compile([x, y], [node])


def measure_unary(name):
    f, d1, d2, points = UNARY[name]
    tape = _unary_tape(name)
    worst = [0.0, 0.0, 0.0]
    for x in points:
        X = mpmath.mpf(float(x))
        with np.errstate(all="ignore"):
            got = (tape([x])[0], tape.gradient([x])[0], tape.hessian([x])[0, 0])
        for k, (g, exact) in enumerate(zip(got, (f(X), d1(X), d2(X)))):
            worst[k] = max(worst[k], ulps(g, exact))
    return worst


def measure_binary(name):
    f, grad, hess = BINARY[name]
    tape = _binary_tape(name)
    worst = [0.0, 0.0, 0.0]
    for a, b in PAIRS[name]:
        A, B = mpmath.mpf(float(a)), mpmath.mpf(float(b))
        value, gradient, hessian = tape([a, b])[0], tape.gradient([a, b]), tape.hessian([a, b])
        worst[0] = max(worst[0], ulps(value, f(A, B)))
        worst[1] = max(worst[1], *(ulps(gradient[k], grad(A, B)[k]) for k in range(2)))
        if not 1e-100 < abs(a) < 1e100 or not 1e-100 < abs(b) < 1e100:
            continue  # second partials of hypot/atan2 there over/underflow in between (note)
        # normwise: each entry's error in ulps of the largest entry (an entry much smaller
        # than the others, hypot's y^2 / h^3 at |y| << |x|, is the difference of two
        # larger terms in the derived rule and has only absolute accuracy)
        H = [[hess(A, B)[r][c] for c in range(2)] for r in range(2)]
        scale = max(abs(h) for row in H for h in row)
        worst[2] = max(worst[2], *(_normwise(hessian[r, c], H[r][c], scale)
                                   for r in range(2) for c in range(2)))
    return worst


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_op_is_accurate_against_mpmath(name):
    worst = measure_unary(name)
    assert all(w <= b for w, b in zip(worst, BOUNDS[name])), \
        f"{name}: max error (value, d1, d2) {worst} ulps, bounds {BOUNDS[name]}"


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_op_is_accurate_against_mpmath(name):
    worst = measure_binary(name)
    assert all(w <= b for w, b in zip(worst, BOUNDS[name])), \
        f"{name}: max error (value, d1, d2) {worst} ulps, bounds {BOUNDS[name]}"


def test_sigmoid_and_tanh_derivatives_keep_relative_accuracy_far_in_the_tails():
    # z (1 - z) and 1 - z^2 are exactly 0 from |x| = 37 and 19 on; the true values are
    # representable until |x| ~ 745 and ~ 372.
    for x in (-700.0, -100.0, -37.5, 37.5, 100.0, 700.0):
        exact = _ds(mpmath.mpf(x))
        assert ulps(_unary_tape("sigmoid").gradient([x])[0], exact) <= 3
    for x in (-300.0, -19.5, 19.5, 300.0):
        exact = 1 / mpmath.cosh(mpmath.mpf(x)) ** 2
        assert ulps(_unary_tape("tanh").gradient([x])[0], exact) <= 3


def test_power_derivatives_are_accurate_where_the_exponent_minus_one_rounds():
    # x ** fl(c - 1) is off by |log x| eps (c - 1 rounds for c < 1/2): 7 ulp of the first
    # and 36 ulp of the second derivative at 1e10 ** (+-1/3) before pow's rule took z / x.
    for c in (1 / 3, -1 / 3, 0.1, -0.3, 0.7):
        x = sg.var("x")
        const_tape = sg.compile([x], [x ** c])
        a, b = sg.var("a"), sg.var("b")
        pow_tape = sg.compile([a, b], [a ** b])
        for p in (1e10, 1e-10, 1e200):
            P, C = mpmath.mpf(p), mpmath.mpf(c)
            d1, d2 = C * P ** (C - 1), C * (C - 1) * P ** (C - 2)
            assert ulps(const_tape.gradient([p])[0], d1) <= 2
            assert ulps(const_tape.hessian([p])[0, 0], d2) <= 2
            assert ulps(pow_tape.gradient([p, c])[0], d1) <= 2
            assert ulps(pow_tape.hessian([p, c])[0, 0], d2) <= 2
            # the mixed partial x^(c - 1) (1 + c log x), away from its zero
            dxy = P ** (C - 1) * (1 + C * mpmath.log(P))
            assert ulps(pow_tape.hessian([p, c])[0, 1], dxy) <= 4
            assert ulps(pow_tape.jvp([p, c], [1.0, 0.0])[0], d1) <= 2
    # a subnormal x keeps x ** (y - 1): y / x overflowed in d(dz/dx)/dy (the other mixed
    # entry, d(dz/dy)/dx = z / x + ..., still takes 1 / x = inf from log's rule there)
    P, C = mpmath.mpf(5e-324), mpmath.mpf(0.3)
    dxy = float(P ** (C - 1) * (1 + C * mpmath.log(P)))
    h = sg.compile([a, b], [a ** b]).hessian([5e-324, 0.3])
    assert abs(h[0, 1] - dxy) <= 1e-12 * abs(dxy)  # entry (i, j) = d gradient_i / d x_j


def test_atan_second_derivative_does_not_underflow_before_its_value():
    # -2x / (1 + x^2)^2 is a normal number up to |x| ~ 1e103; derived from 1 / (1 + x * x)
    # it was 0 from |x| ~ 1e81 (two divisions by 1 + x^2).
    tape = _unary_tape("atan")
    for x in (1e80, 1e90, -1e100, 1e102, 1.5, -1.0000001):
        X = mpmath.mpf(x)
        assert ulps(tape.gradient([x])[0], 1 / (1 + X * X)) <= 2
        assert ulps(tape.hessian([x])[0, 0], -2 * X / (1 + X * X) ** 2) <= 3


def test_erf_derivatives_split_x_squared():
    # exp(-(x * x)) from a rounded x * x was off by x^2 eps: 422 ulp of erf' at x = -22.896,
    # 476 of erf'' at 26.288 (all normal numbers there).
    for name, sign in (("erf", 1), ("erfc", -1)):
        tape = _unary_tape(name)
        for x in (-22.896, 26.288, 5.9, -11.13, 25.122):
            X = mpmath.mpf(x)
            g = sign * SQPI * mpmath.exp(-X * X)
            assert ulps(tape.gradient([x])[0], g) <= 2
            assert ulps(tape.hessian([x])[0, 0], -2 * X * g) <= 3
            assert ulps(tape.jvp([x], [1.0])[0], g) <= 2


def test_hypot_second_partials_keep_relative_accuracy_entry_by_entry():
    # y^2 / h^3 where |y| << |x| (and x^2 / h^3 where |x| << |y|): derived from x / h it was
    # 1 / h - x^2 / h^3, which cancels (8.8e15 ulp at (17305.2, 1.158e-5), 1e-6 relative
    # at (1, 1e-5)); also ulp-accurate at the scales where x * x would over/underflow.
    tape = _binary_tape("hypot")
    for a, b in ((1.0, 1e-5), (1e-5, -1.0), (17305.204790598986, 1.1577622803889298e-05),
                 (-2.0, 1e-100), (1e150, 3e140), (1e-150, -2e-155), (3.0, 4.0)):
        A, B = mpmath.mpf(a), mpmath.mpf(b)
        h = mpmath.sqrt(A * A + B * B)
        exact = [[B * B / h ** 3, -A * B / h ** 3], [-A * B / h ** 3, A * A / h ** 3]]
        got = tape.hessian([a, b])
        for r in range(2):
            for c in range(2):
                assert ulps(got[r, c], exact[r][c]) <= 5, (a, b, r, c)
        grad = tape.gradient([a, b])
        assert ulps(grad[0], A / h) <= 2 and ulps(grad[1], B / h) <= 2


if __name__ == "__main__":
    print("| op | value | first derivative | second derivative |")
    print("|---|---|---|---|")
    for name in sorted(UNARY):
        print(f"| {name} | " + " | ".join(f"{w:.2f}" for w in measure_unary(name)) + " |")
    for name in sorted(BINARY):
        print(f"| {name} | " + " | ".join(f"{w:.2f}" for w in measure_binary(name)) + " |")
    sys.exit(0)
