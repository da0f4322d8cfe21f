"""The operation table: one record per operation, the single source every pass is built from.

Record (recording) -> compile -> sweep all read this table. The per-op rules the Numba loops
call (``scalargraph/kernels/rules.py``: value, partials, second partials) are generated from
it by ``python tools/gen_rules.py``; the user functions (``sg.exp``, ``sg.maximum`` ...) and
the symbolic derivatives are made from it at import. Adding an operation is one record here
(and its line in :class:`Opcode`), then ``python tools/gen_rules.py``.

Rules are Python expression strings in a tiny vocabulary, so that the same line can be
compiled by Numba and evaluated on graph nodes (CasADi's ``fcn``/``der`` pair, JAX's
``defjvp2``):

* ``x`` is the first operand, ``y`` the second (a node value, or the op's constant for
  ``CONST_RIGHT`` ops), ``z`` the op's own value (partials may reuse it);
* arithmetic ``+ - * / **``, the table's own functions by name (``exp``, ``log``, ...),
  and ``gt(x, y)`` (1.0 where x > y else 0.0, derivative zero everywhere).

Operand kinds (:class:`Kind`), and what ``arg0`` / ``arg1`` of a tape node hold:

=================  =========================  ============================
kind               arg0                       arg1
=================  =========================  ============================
``INPUT``          position among the inputs  -1
``CONST``          index in the constant pool -1
``UNARY``          parent node                -1
``BINARY``         first parent node          second parent node
``CONST_RIGHT``    parent node                index in the constant pool
=================  =========================  ============================

Opcode numbers are a file format once tapes are saved: append new records, never renumber.
No numba here.
"""

import hashlib
import math
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from .frozen import frozen


class Kind(IntEnum):
    """Operand kind of an op: what its node's ``arg0`` / ``arg1`` hold (module docstring)."""

    INPUT = 0
    CONST = 1
    UNARY = 2
    BINARY = 3
    CONST_RIGHT = 4


# The kinds under their older names (ops.UNARY, ops.INPUT_KIND ...).
INPUT_KIND, CONST_KIND, UNARY, BINARY, CONST_RIGHT = Kind

# How many of arg0/arg1 are parent nodes, by operand kind.
NODE_ARITY = {INPUT_KIND: 0, CONST_KIND: 0, UNARY: 1, BINARY: 2, CONST_RIGHT: 1}

# Input domains for the table-driven tests (where the op is smooth and defined).
REAL, POSITIVE, NONZERO = "real", "positive", "nonzero"
UNIT, ABOVE_ONE, ABOVE_MINUS_ONE = "unit", "above_one", "above_minus_one"  # |x| < 1, x > 1, x > -1
DOMAINS = (REAL, POSITIVE, NONZERO, UNIT, ABOVE_ONE, ABOVE_MINUS_ONE)


@dataclass(frozen=True)
class Op:
    """One operation: its opcode, user-facing name, operand kind, value and partial rules.

    ``partials`` holds one expression per parent node (d z / d x, then d z / d y); a
    ``CONST_RIGHT`` op has one, since its constant gets no derivative.
    """

    code: int
    name: str
    kind: Kind
    value: str
    partials: tuple = ()
    note: str = ""
    domain: str = REAL
    special: tuple = field(default_factory=tuple)  # (x[, y]) points the tests check exactly
    smooth: bool = True
    # op(x, y) and op(y, x) agree bit for bit (IEEE + and *; NaN payloads aside), values and
    # partials alike, so common-subexpression elimination may merge a+b with b+a.
    # maximum/minimum are not: ties (and signed zeros) go to y, so swapping the operands
    # moves the gradient at a tie.
    commutative: bool = False
    # The partials are a rule, not the derivative of the value (stop_gradient's 0, link's
    # custom partial): finite differences of the value cannot check them.
    surrogate: bool = False

    @property
    def arity(self):
        """Number of parent nodes (0, 1 or 2)."""
        return NODE_ARITY[self.kind]


class Opcode(IntEnum):
    """Opcode of every op, as stored in tapes and files: append, never renumber."""

    INPUT = 0
    CONST = 1
    ADD = 2
    SUB = 3
    MUL = 4
    DIV = 5
    POW = 6
    MAXIMUM = 7
    MINIMUM = 8
    NEG = 9
    EXP = 10
    LOG = 11
    SIN = 12
    COS = 13
    TAN = 14
    SQRT = 15
    TANH = 16
    SIGMOID = 17
    RELU = 18
    SOFTPLUS = 19
    ABS = 20
    SQUARE = 21
    ADD_CONST = 22
    RSUB_CONST = 23
    MUL_CONST = 24
    DIV_CONST = 25
    RDIV_CONST = 26
    POW_CONST = 27
    RPOW_CONST = 28
    LEAKY_RELU = 29
    GT = 30
    LOG1P = 31
    EXPM1 = 32
    LOG2 = 33
    LOG10 = 34
    EXP2 = 35
    SINH = 36
    COSH = 37
    ASIN = 38
    ACOS = 39
    ATAN = 40
    ASINH = 41
    ACOSH = 42
    ATANH = 43
    ATAN2 = 44
    HYPOT = 45
    ERF = 46
    ERFC = 47
    CBRT = 48
    SIGN = 49
    FLOOR = 50
    CEIL = 51
    ROUND = 52
    TRUNC = 53
    FMOD = 54
    REMAINDER = 55
    COPYSIGN = 56
    FMAX = 57
    FMIN = 58
    LOGADDEXP = 59
    LT = 60
    LE = 61
    GE = 62
    EQ = 63
    NE = 64
    SELECT_TRUE = 65
    SELECT_FALSE = 66
    STOP_GRADIENT = 67
    LINK = 68
    DSIGMOID = 69
    ELU = 70
    AZMUL = 71


# d(x ** y)/dx of pow and pow_const (see pow's record): y (z / x) where y - 1 is not exact
# and x and z are normal numbers, else the rule ``old`` (the derived second partials divide
# by x: at a subnormal x, y / x overflows where x^(y - 1) (1 + y log x) does not). The
# divisor is 1 at x = 0, where that branch is not taken, so that the Python export (plain
# math, which raises on / 0) computes it too.
_POW_DX = ("where((lt(y, 0.5) + gt(y, 9007199254740992.0)) * ne(y, 0.0)"
           " * gt(abs(z), 2.2250738585072014e-308) * lt(abs(z), 1.7976931348623157e308)"
           " * gt(abs(x), 2.2250738585072014e-308), y * (z / (x + (1.0 - gt(abs(x), 0.0)))),"
           " {old})")


_BIG_X = "where(gt(abs(x), 1.0), x, 2.0)"  # x where |x| > 1 (atan's partial)
# a where |a| > |b|, else 1 (hypot's partials): no / 0 in the branch that is not taken
_LARGER = "where(gt(abs({a}), abs({b})), {a}, 1.0)"

# exp(-x^2) of erf' and erfc' to 2 ulp: exp(-(x * x)) is off by the relative error x^2 eps
# of x * x (17 ulp at x = 6, ~1000 near 27, where it underflows). With h = x rounded to a
# multiple of 2^-20 (25 bits for |x| < 28) and l = x - h (exact), x^2 = h^2 + l (x + h)
# with h^2 exact and the rest small. round' = 0 makes h a constant to the derived second
# partial, so that it is -((x + h) + l) times the same product, without cancellation. 0 past
# |x| = 28, where h^2 would not be exact (exp(-784) is 0 already).
_SPLIT_HI = "(round(x * 1048576.0) * 9.5367431640625e-07)"
_GAUSS = (f"where(gt(abs(x), 28.0), 0.0, exp(-({_SPLIT_HI} * {_SPLIT_HI}))"
          f" * exp(-((x - {_SPLIT_HI}) * (x + {_SPLIT_HI}))))")


OPS = (
    Op(0, "input", INPUT_KIND, "x"),
    Op(1, "const", CONST_KIND, "y"),
    Op(2, "add", BINARY, "x + y", ("1.0", "1.0"), commutative=True),
    Op(3, "sub", BINARY, "x - y", ("1.0", "-1.0")),
    Op(4, "mul", BINARY, "x * y", ("y", "x"), commutative=True),
    Op(5, "div", BINARY, "x / y", ("1.0 / y", "-z / y"), domain=NONZERO),
    # d/dx = y x^(y - 1), as y (z / x) where y - 1 rounds (y < 1/2 but 0, y > 2^53; each
    # x ** fl(y - 1) is off by |log x| eps: 7 ulp at 1e10 ** (1/3)) and z is normal, so that
    # z / x is x^(y - 1) to rounding; y x ** (y - 1) elsewhere (y - 1 exact; z / x would
    # leave y (y - 1) z / x^2 to y^2 q - y q in the second partials, which cancels near y = 1).
    Op(6, "pow", BINARY, "x ** y", (_POW_DX.format(old="where(eq(x, 0.0) + ne(x, x), "
                                                   "y * x ** (y - gt(abs(y), 0.0)), "
                                                   "y * x ** (y - 1.0))"),
                                    "z * log(x + (1.0 - gt(abs(x), 0.0)))"),
       note="d/dx at y = 0 is 0 (x ** 0 = 1 for every x), with d2/dxdy = 1/x; "
            "d/dy at x = 0 is 0 for y >= 0 (log(0) is replaced by 0, as JAX does) and NaN "
            "for y < 0, where the value is inf; for x < 0 the value is NaN unless y is an "
            "integer, and d/dy is NaN",
       domain=POSITIVE),
    Op(7, "maximum", BINARY, "x if (x > y or x != x) else y", ("gt(x, y)", "1.0 - gt(x, y)"),
       note="the max gate of the lecture notes: the gradient goes to x only where x > y; "
            "ties send it all to y (JAX and CasADi split it 1/2-1/2). A NaN operand gives NaN",
       special=((1.0, 1.0), (2.0, 1.0), (1.0, 2.0)), smooth=False),
    Op(8, "minimum", BINARY, "x if (x < y or x != x) else y", ("gt(y, x)", "1.0 - gt(y, x)"),
       note="the gradient goes to x only where x < y; ties send it all to y",
       special=((1.0, 1.0), (2.0, 1.0), (1.0, 2.0)), smooth=False),
    Op(9, "neg", UNARY, "-x", ("-1.0",)),
    Op(10, "exp", UNARY, "exp(x)", ("z",)),
    Op(11, "log", UNARY, "log(x)", ("1.0 / x",),
       note="log(0) = -inf with derivative +inf; log(x < 0) = NaN", domain=POSITIVE),
    Op(12, "sin", UNARY, "sin(x)", ("cos(x)",)),
    Op(13, "cos", UNARY, "cos(x)", ("-sin(x)",)),
    Op(14, "tan", UNARY, "tan(x)", ("1.0 + z * z",)),
    Op(15, "sqrt", UNARY, "sqrt(x)", ("0.5 / z",),
       note="sqrt(0) = 0 with derivative +inf (IEEE 0.5 / 0)", domain=POSITIVE),
    # tanh' = 4 sigmoid'(2x) and sigmoid' = dsigmoid: full relative accuracy in the tails,
    # where 1 - z * z and z * (1 - z) cancel (and are exactly 0 long before the true value).
    Op(16, "tanh", UNARY, "tanh(x)", ("4.0 * dsigmoid(2.0 * x)",)),
    Op(17, "sigmoid", UNARY, "sigmoid(x)", ("dsigmoid(x)",)),
    Op(18, "relu", UNARY, "0.0 if x <= 0.0 else x", ("gt(x, 0.0)",),
       note="relu'(0) = 0: the indicator of x > 0 (lecture notes, Prince ch. 7); "
            "relu(nan) = nan",
       special=((0.0,), (1.0,), (-1.0,)), smooth=False),
    Op(19, "softplus", UNARY, "softplus(x)", ("sigmoid(x)",)),
    Op(20, "abs", UNARY, "abs(x)", ("gt(x, 0.0) - gt(0.0, x)",),
       note="abs'(0) = 0", special=((0.0,), (2.0,), (-2.0,)), smooth=False),
    Op(21, "square", UNARY, "x * x", ("2.0 * x",)),
    Op(22, "add_const", CONST_RIGHT, "x + y", ("1.0",)),
    Op(23, "rsub_const", CONST_RIGHT, "y - x", ("-1.0",)),
    Op(24, "mul_const", CONST_RIGHT, "x * y", ("y",)),
    Op(25, "div_const", CONST_RIGHT, "x / y", ("1.0 / y",)),
    Op(26, "rdiv_const", CONST_RIGHT, "y / x", ("-z / x",), domain=NONZERO),
    Op(27, "pow_const", CONST_RIGHT, "x ** y",
       (_POW_DX.format(old="y * x ** (y - gt(abs(y), 0.0))"),),
       note="x ** 0 = 1 for every x (IEEE pow), with derivative 0; "
            "d(x ** c)/dx at x = 0 is c * 0 ** (c - 1): 0 for c > 1, inf for c < 1",
       domain=POSITIVE),
    Op(28, "rpow_const", CONST_RIGHT, "y ** x", ("z * log(y + (1.0 - gt(abs(y), 0.0)))",),
       note="c ** x with c < 0 is NaN unless x is an integer; 0 ** x has derivative 0 for "
            "x > 0 (log(0) is replaced by 0, as for pow)"),
    Op(29, "leaky_relu", CONST_RIGHT, "x if x > 0.0 else y * x", ("y + (1.0 - y) * gt(x, 0.0)",),
       note="slope alpha (the constant) for x <= 0, 1 for x > 0: the derivative at 0 is alpha "
            "(Prince eq. 7.41 with the relu convention of the lecture notes)",
       special=((0.0,), (1.0,), (-1.0,)), smooth=False),
    Op(30, "gt", BINARY, "1.0 if x > y else 0.0", ("0.0", "0.0"),
       note="the step 1{x > y}: derivative zero everywhere, including at the jump",
       special=((1.0, 1.0), (2.0, 1.0), (1.0, 2.0)), smooth=False),
    # ---- logs and exponentials --------------------------------------------------------------
    Op(31, "log1p", UNARY, "log1p(x)", ("1.0 / (1.0 + x)",),
       note="log1p(-1) = -inf with derivative +inf; log1p(x < -1) = NaN", domain=ABOVE_MINUS_ONE),
    Op(32, "expm1", UNARY, "expm1(x)", ("exp(x)",)),
    Op(33, "log2", UNARY, "log2(x)", ("1.4426950408889634 / x",),
       note="log2(0) = -inf with derivative +inf; log2(x < 0) = NaN", domain=POSITIVE),
    Op(34, "log10", UNARY, "log10(x)", ("0.4342944819032518 / x",),
       note="log10(0) = -inf with derivative +inf; log10(x < 0) = NaN", domain=POSITIVE),
    Op(35, "exp2", UNARY, "exp2(x)", ("0.6931471805599453 * z",)),
    # ---- trigonometric and hyperbolic ---------------------------------------------------------
    Op(36, "sinh", UNARY, "sinh(x)", ("cosh(x)",)),
    Op(37, "cosh", UNARY, "cosh(x)", ("sinh(x)",)),
    # 1 - x^2 as (1 - x)(1 + x) for |x| >= 1/2: exact near |x| = 1, where the derivative
    # blows up; as 1 - x * x below, whose derivative -2x has no cancellation (that of the
    # product, (1 - x) - (1 + x), loses all digits at small x: second derivatives).
    Op(38, "asin", UNARY, "asin(x)", ("where(lt(abs(x), 0.5), 1.0 / sqrt(1.0 - x * x), "
                                      "1.0 / sqrt((1.0 - x) * (1.0 + x)))",),
       note="asin'(+-1) = +inf (the one-sided limit); |x| > 1 gives NaN", domain=UNIT),
    Op(39, "acos", UNARY, "acos(x)", ("where(lt(abs(x), 0.5), -1.0 / sqrt(1.0 - x * x), "
                                      "-1.0 / sqrt((1.0 - x) * (1.0 + x)))",),
       note="acos'(+-1) = -inf (the one-sided limit); |x| > 1 gives NaN", domain=UNIT),
    # 1 / (1 + x^2) as (1 / x) / (x + 1 / x) for |x| > 1: the second partial derived from
    # 1 / (1 + x * x) divides twice by 1 + x^2 and underflows to 0 from |x| ~ 1e81 (the true
    # -2x / (1 + x^2)^2 is normal up to 1e103); this form's has no such step and no
    # cancellation (both of its terms have the sign of -x).
    # (the branch's x is 2 where it is not taken: no 1 / 0 for the Python export at x = 0)
    Op(40, "atan", UNARY, "atan(x)", ("where(gt(abs(x), 1.0), (1.0 / " + _BIG_X + ") / ("
                                      + _BIG_X + " + 1.0 / " + _BIG_X + "), "
                                      "1.0 / (1.0 + x * x))",)),
    Op(41, "asinh", UNARY, "asinh(x)", ("1.0 / hypot(1.0, x)",)),
    Op(42, "acosh", UNARY, "acosh(x)", ("1.0 / (sqrt(x - 1.0) * sqrt(x + 1.0))",),
       note="acosh'(1) = +inf (the one-sided limit); x < 1 gives NaN", domain=ABOVE_ONE),
    Op(43, "atanh", UNARY, "atanh(x)", ("where(lt(abs(x), 0.5), 1.0 / (1.0 - x * x), "
                                        "1.0 / ((1.0 - x) * (1.0 + x)))",),
       note="atanh(+-1) = +-inf with derivative +inf; |x| > 1 gives NaN", domain=UNIT),
    Op(44, "atan2", BINARY, "atan2(x, y)", ("(y / hypot(x, y)) / hypot(x, y)",
                                            "(-x / hypot(x, y)) / hypot(x, y)"),
       note="atan2(y, x), the angle of the point (x, y) (NumPy's argument order); at the "
            "origin the value is +-0 or +-pi (C99) and both partials are NaN (no limit "
            "exists, as in JAX); across the negative x axis the value jumps by 2 pi and the "
            "partials are those of the side the signed zero picks",
       domain=NONZERO, special=((2.0, 0.0), (0.0, 1.0), (0.0, -1.0), (-0.0, -1.0))),
    # d/dx = x / z, as sign(x) / hypot(1, y / x) where |x| > |y|: the second partial derived
    # from x / z is 1 / z - x^2 / z^3, which cancels to y^2 / z^3 where |y| << |x| (relative
    # error eps x^2 / y^2: 1e-6 at hypot(1, 1e-5)); this form's is a product, t^2 / (x H^3).
    Op(45, "hypot", BINARY, "hypot(x, y)",
       ("where(gt(z, 0.0), where(gt(abs(x), abs(y)), copysign(1.0, x) / hypot(1.0, y / "
        + _LARGER.format(a="x", b="y") + "), x / z), 0.0)",
        "where(gt(z, 0.0), where(gt(abs(y), abs(x)), copysign(1.0, y) / hypot(1.0, x / "
        + _LARGER.format(a="y", b="x") + "), y / z), 0.0)"),
       note="sqrt(x^2 + y^2) without overflow; at the origin (a cone point) both partials "
            "are 0, as abs'(0) = 0; with one operand infinite and the other finite, the "
            "limits +-1 and 0",
       domain=NONZERO, special=((0.0, 0.0), (3.0, 4.0), (-3.0, 0.0)), commutative=True),
    # ---- special functions --------------------------------------------------------------------
    Op(46, "erf", UNARY, "erf(x)", ("1.1283791670955126 * " + _GAUSS,)),
    Op(47, "erfc", UNARY, "erfc(x)", ("-1.1283791670955126 * " + _GAUSS,)),
    Op(48, "cbrt", UNARY, "cbrt(x)", ("1.0 / (3.0 * z * z)",),
       note="cbrt'(0) = +inf (the two-sided limit); cbrt(-8) = -2 (real cube root)",
       special=((0.0,), (8.0,), (-8.0,))),
    # ---- piecewise --------------------------------------------------------------------------
    Op(49, "sign", UNARY, "1.0 if x > 0.0 else (-1.0 if x < 0.0 else (0.0 if x == 0.0 else x))",
       ("0.0",),
       note="-1, 0 or 1 as np.sign (+0.0 for either zero, NaN for NaN); derivative 0 "
            "everywhere, including at the jump",
       special=((0.0,), (2.0,), (-2.0,)), smooth=False),
    Op(50, "floor", UNARY, "floor(x)", ("0.0",),
       note="derivative 0 everywhere, including at the integers where it jumps",
       special=((1.0,), (1.5,), (-1.5,)), smooth=False),
    Op(51, "ceil", UNARY, "ceil(x)", ("0.0",),
       note="derivative 0 everywhere, including at the integers where it jumps",
       special=((1.0,), (1.5,), (-1.5,)), smooth=False),
    Op(52, "round", UNARY, "round(x)", ("0.0",),
       note="round half to even (np.round, np.rint); derivative 0 everywhere, including at "
            "the half-integers where it jumps",
       special=((0.5,), (1.5,), (2.5,), (-2.5,), (0.49999999999999994,)), smooth=False),
    Op(53, "trunc", UNARY, "trunc(x)", ("0.0",),
       note="derivative 0 everywhere, including at the integers where it jumps",
       special=((1.0,), (1.5,), (-1.5,)), smooth=False),
    Op(54, "fmod", BINARY, "fmod(x, y)", ("1.0", "-round((x - z) / y)"),
       note="C fmod, x - n y with n = trunc(x / y) exact, the sign of x (np.fmod); partials "
            "(1, -n) of the piece the value lies on, also where it jumps (x / y an integer); "
            "fmod(x, 0) = NaN",
       domain=NONZERO, special=((3.0, 2.0), (4.0, 2.0), (-3.0, 2.0), (3.0, -2.0)), smooth=False),
    Op(55, "remainder", BINARY, "remainder(x, y)", ("1.0", "-round((x - z) / y)"),
       note="IEEE remainder x - n y with n = x / y rounded half to even (math.remainder); "
            "partials (1, -n) of the piece the value lies on, also where it jumps; "
            "remainder(x, 0) = NaN",
       domain=NONZERO, special=((3.0, 2.0), (5.0, 2.0), (1.0, 2.0), (-3.0, 2.0)), smooth=False),
    Op(56, "copysign", BINARY, "copysign(x, y)",
       ("(gt(x, 0.0) - lt(x, 0.0)) * copysign(1.0, y)", "0.0"),
       note="|x| with the sign (bit) of y: d/dx = abs'(x) sign(y), 0 at x = 0 as abs'(0); "
            "d/dy = 0, also where the sign flips",
       special=((0.0, 1.0), (2.0, -1.0), (-2.0, 1.0), (2.0, -0.0)), smooth=False),
    Op(57, "fmax", BINARY, "x if (x > y or y != y) else y",
       ("gt(x, y) + ne(y, y)", "1.0 - gt(x, y) - ne(y, y)"),
       note="the larger, ignoring a NaN operand (np.fmax): the gradient goes to x where x > y "
            "or y is NaN; ties send it all to y (as maximum)",
       special=((1.0, 1.0), (2.0, 1.0), (1.0, 2.0), (math.nan, 1.0), (1.0, math.nan)),
       smooth=False),
    Op(58, "fmin", BINARY, "x if (x < y or y != y) else y",
       ("lt(x, y) + ne(y, y)", "1.0 - lt(x, y) - ne(y, y)"),
       note="the smaller, ignoring a NaN operand (np.fmin): the gradient goes to x where x < y "
            "or y is NaN; ties send it all to y (as minimum)",
       special=((1.0, 1.0), (2.0, 1.0), (1.0, 2.0), (math.nan, 1.0), (1.0, math.nan)),
       smooth=False),
    # log(e^x + e^y) as np.logaddexp; partials sigmoid(x - y), sigmoid(y - x), except 1/2
    # where x = y = +-inf (x - y is NaN there): the limit along the diagonal.
    Op(59, "logaddexp", BINARY, "logaddexp(x, y)",
       ("sigmoid(where(eq(x, y) * ne(x - y, x - y), 0.0, x - y))",
        "sigmoid(where(eq(x, y) * ne(x - y, x - y), 0.0, y - x))"),
       note="log(exp(x) + exp(y)) without overflow (np.logaddexp); partials sigmoid(x - y), "
            "sigmoid(y - x), and 1/2 each where x = y = +-inf",
       commutative=True),
    # ---- comparisons: 0/1 steps with derivative zero (gt is op 30) ----------------------------
    Op(60, "lt", BINARY, "1.0 if x < y else 0.0", ("0.0", "0.0"),
       note="the step 1{x < y}: derivative zero everywhere, including at the jump",
       special=((1.0, 1.0), (2.0, 1.0), (1.0, 2.0)), smooth=False),
    Op(61, "le", BINARY, "1.0 if x <= y else 0.0", ("0.0", "0.0"),
       note="the step 1{x <= y}: derivative zero everywhere, including at the jump",
       special=((1.0, 1.0), (2.0, 1.0), (1.0, 2.0)), smooth=False),
    Op(62, "ge", BINARY, "1.0 if x >= y else 0.0", ("0.0", "0.0"),
       note="the step 1{x >= y}: derivative zero everywhere, including at the jump",
       special=((1.0, 1.0), (2.0, 1.0), (1.0, 2.0)), smooth=False),
    Op(63, "eq", BINARY, "1.0 if x == y else 0.0", ("0.0", "0.0"),
       note="1{x == y} (0 for NaN, 1 for 0.0 == -0.0): derivative zero everywhere",
       special=((1.0, 1.0), (2.0, 1.0), (0.0, -0.0)), smooth=False, commutative=True),
    Op(64, "ne", BINARY, "1.0 if x != y else 0.0", ("0.0", "0.0"),
       note="1{x != y} (1 for NaN): derivative zero everywhere",
       special=((1.0, 1.0), (2.0, 1.0), (0.0, -0.0)), smooth=False, commutative=True),
    # ---- conditionals: where(c, a, b) = select_true(c, a) + select_false(c, b) ---------------
    # The untaken branch gives -0.0 (x + -0.0 == x for every x, signed zeros included) and a
    # partial of exactly 0, which cuts the path in every sweep (kernels/reach.py).
    Op(65, "select_true", BINARY, "y if x != 0.0 else -0.0", ("0.0", "ne(x, 0.0)"),
       note="y where the condition x is nonzero (NaN counts as true, as in NumPy), else -0.0; "
            "derivative 0 in the condition, 1 or 0 in y",
       special=((1.0, 2.0), (0.0, 2.0), (-0.0, 2.0), (math.nan, 2.0)), smooth=False),
    Op(66, "select_false", BINARY, "y if x == 0.0 else -0.0", ("0.0", "eq(x, 0.0)"),
       note="y where the condition x is zero, else -0.0; derivative 0 in the condition, "
            "1 or 0 in y",
       special=((1.0, 2.0), (0.0, 2.0), (-0.0, 2.0), (math.nan, 2.0)), smooth=False),
    # ---- derivative control -------------------------------------------------------------------
    Op(67, "stop_gradient", UNARY, "x", ("0.0",),
       note="the value passes unchanged; the derivative is 0 in every mode and order",
       surrogate=True),
    Op(68, "link", BINARY, "-0.0", ("y", "0.0"),
       note="value -0.0 whatever x and y; d/dx = y (the value of the second operand), "
            "d/dy = 0: custom_gradient attaches a custom partial y to a variable x with it",
       surrogate=True),
    Op(69, "dsigmoid", UNARY, "dsigmoid(x)", ("-z * tanh(0.5 * x)",),
       note="the derivative of sigmoid, e^-|x| / (1 + e^-|x|)^2, with full relative accuracy "
            "in both tails (z (1 - z) is exactly 0 past |x| = 37)"),
    Op(70, "elu", CONST_RIGHT, "x if x > 0.0 else y * expm1(x)",
       ("where(gt(x, 0.0), 1.0, y * exp(x))",),
       note="x for x > 0, alpha (e^x - 1) otherwise; the derivative at 0 is alpha (the left "
            "piece, as leaky_relu)",
       special=((0.0,), (1.0,), (-1.0,)), smooth=False),
    # The product of the derivative graphs (sg.grad, jvp_graph, the derived second partials):
    # a strong zero as an op, so that a zero adjoint (the untaken branch of a where) times an
    # inf or NaN partial is 0 in a derivative graph, as the numeric sweeps cut a path at a
    # zero partial (CppAD's azmul).
    Op(71, "azmul", BINARY, "0.0 if (x == 0.0 or y == 0.0) else x * y", ("y", "x"),
       note="x * y, except exactly 0.0 where either factor is 0 (0 * inf = 0 * NaN = 0): "
            "the strong zero of the sweeps; partials (y, x)",
       special=((0.0, math.inf), (math.nan, 0.0), (2.0, 3.0)), commutative=True),
)

BY_NAME = {op.name: op for op in OPS}
BY_CODE = {op.code: op for op in OPS}



def __getattr__(name):
    """``ops.EXP`` etc.: the members of :class:`Opcode` under the module (older spelling)."""
    try:
        return Opcode[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None

N_OPS = len(OPS)


# The table as lookup arrays indexed by opcode, for the compiled kernels (which cannot read
# Op records): each op's operand kind (Kind), how many of arg0/arg1 are parents, and which
# argument holds a constant-pool index (0 none, 1 arg0, 2 arg1).
# Frozen (scalargraph/frozen.py): the kernels index with what these say.
KIND_TABLE = frozen([int(op.kind) for op in OPS], np.uint8)
ARITY_TABLE = frozen([op.arity for op in OPS], np.uint8)
CONST_SLOT_TABLE = frozen([{Kind.CONST: 1, Kind.CONST_RIGHT: 2}.get(op.kind, 0) for op in OPS],
                          np.uint8)


def table_digest(records=None):
    """Short digest of what the generated rules depend on: codes, names, kinds and rules."""
    records = OPS if records is None else records
    text = repr([(op.code, op.name, int(op.kind), op.value, tuple(op.partials)) for op in records])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _check_table():
    codes = [op.code for op in OPS]
    if codes != list(range(len(OPS))):
        raise RuntimeError("opcodes must be 0, 1, 2, ... in table order (append, never renumber)")
    if len(BY_NAME) != len(OPS):
        raise RuntimeError("op names must be unique")
    for op in OPS:
        if len(op.partials) != op.arity:
            raise RuntimeError(f"op {op.name!r} needs {op.arity} partial rule(s)")
        if op.commutative and op.kind != BINARY:
            raise RuntimeError(f"op {op.name!r}: only binary ops can be commutative")


_check_table()
