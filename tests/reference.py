"""A naive reference evaluator and dual numbers, written by hand: the tests' independent oracle.

Nothing here reads the rule strings of ``scalargraph/ops.py`` or imports numba: every value
and derivative rule below is written out again from the mathematics (math module, plain
Python floats), so a wrong rule in the table or a wrong generated kernel shows up as a
disagreement (STUMPY's ``naive.py``; micrograd checks against PyTorch the same way). The
table is read only for what a tape *means*: each node's op name and operand kind.

IEEE semantics follow the documented conventions (ops.py notes): ``log(0) = -inf``,
``x / 0 = +-inf`` or NaN, ``sqrt(x < 0) = NaN``, ``0 ** 0 = 1``, overflow gives inf; Python's
math module raises for these instead, so every call goes through a helper that returns the
IEEE result. Derivatives at kinks follow the lecture notes and Prince ch. 7: relu'(0) = 0,
abs'(0) = 0, leaky_relu'(0) = alpha, maximum/minimum ties send the gradient to y, gt' = 0.
Derivative products use the strong zero of the engine (CppAD's azmul): 0 * inf = 0.
"""

import math
from fractions import Fraction

from scalargraph import ops

INF, NAN = math.inf, math.nan


# ---- IEEE helpers: the results C / NumPy / Numba give where Python raises ---------------------
def is_odd_integer(y):
    return math.isfinite(y) and y == math.floor(y) and math.fmod(y, 2.0) != 0.0


def ieee_div(x, y):
    try:
        return x / y
    except ZeroDivisionError:
        if x == 0.0 or math.isnan(x):
            return NAN
        return math.copysign(INF, x) * math.copysign(1.0, y)


def ieee_pow(x, y):
    """C99 pow: 0 ** -1 = inf, (-8) ** 0.5 = NaN, overflow = inf, x ** 0 = 1, 1 ** y = 1."""
    try:
        return math.pow(x, y)
    except ValueError:
        if x == 0.0:  # zero to a negative power
            return math.copysign(INF, x) if is_odd_integer(y) else INF
        return NAN  # negative base, non-integer exponent
    except OverflowError:
        return -INF if (x < 0.0 and is_odd_integer(y)) else INF


def ieee_exp(x):
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def ieee_log(x):
    if x == 0.0:
        return -INF
    if x < 0.0 or math.isnan(x):
        return NAN
    return math.log(x)


def ieee_sqrt(x):
    return NAN if x < 0.0 else math.sqrt(x)


def _trig(fn, x):
    return NAN if math.isinf(x) else fn(x)


def ieee_mul(a, b):
    """a * b with the strong zero of the sweeps: 0 * anything (inf, NaN) = 0."""
    if a == 0.0 or b == 0.0:
        return 0.0
    return a * b


def sigmoid(x):
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = ieee_exp(x)
    return e / (1.0 + e)


def softplus(x):
    # log(1 + e^x), computed without overflow: for x > 0 it is x + log(1 + e^-x).
    if math.isnan(x):
        return NAN
    if x > 0.0:
        return x + math.log1p(math.exp(-x))
    return math.log1p(ieee_exp(x))


def sech2(x):
    """1 / cosh(x)^2, the derivative of tanh; 0 once cosh overflows."""
    if math.isnan(x):
        return NAN
    if abs(x) > 350.0:
        return 0.0
    c = math.cosh(x)
    return 1.0 / (c * c)


def step(x, y):
    """The indicator 1{x > y} of the lecture notes (0 for NaN, which compares false)."""
    return 1.0 if x > y else 0.0


def maximum(x, y):
    if math.isnan(x) or math.isnan(y):
        return NAN
    return x if x > y else y


def minimum(x, y):
    if math.isnan(x) or math.isnan(y):
        return NAN
    return x if x < y else y


def relu(x):
    if math.isnan(x):
        return NAN
    return x if x > 0.0 else 0.0



# ---- helpers of the ops added after the first release (written again from the maths) -------
LN2, LN10, TWO_OVER_SQRT_PI = math.log(2.0), math.log(10.0), 2.0 / math.sqrt(math.pi)


def _nan_outside(fn, ok):
    """fn(x) where ok(x), NaN elsewhere (and for NaN)."""
    return lambda x: fn(x) if (not math.isnan(x) and ok(x)) else NAN


def _log_like(fn):
    def rule(x):
        if x == 0.0:
            return -INF
        if math.isnan(x) or x < 0.0:
            return NAN
        return fn(x)
    return rule


def _overflowing(fn, sign_of_x):
    def rule(x):
        try:
            return fn(x)
        except OverflowError:
            return math.copysign(INF, x) if sign_of_x else INF
    return rule


def log1p(x):
    if x == -1.0:
        return -INF
    if math.isnan(x) or x < -1.0:
        return NAN
    return math.log1p(x)


def atanh(x):
    if abs(x) == 1.0:
        return math.copysign(INF, x)
    if math.isnan(x) or abs(x) > 1.0:
        return NAN
    return math.atanh(x)


def cbrt(x):
    x = float(x)
    if math.isnan(x) or math.isinf(x) or x == 0.0:
        return x
    if hasattr(math, "cbrt"):
        return math.cbrt(x)
    return math.copysign(abs(x) ** (1.0 / 3.0), x)


def _integral(fn):
    """floor/ceil/round/trunc as IEEE: a zero result keeps the sign of x (ceil(-0.5) = -0.0);
    Python's int-valued functions lose it."""
    def rule(x):
        if math.isnan(x) or math.isinf(x):
            return x
        r = float(fn(x))
        return math.copysign(0.0, x) if r == 0.0 else r
    return rule


def sign(x):
    if math.isnan(x):
        return NAN
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)


def fmod(x, y):
    if math.isnan(x) or math.isnan(y) or math.isinf(x) or y == 0.0:
        return NAN
    return math.fmod(x, y)


def remainder(x, y):
    if math.isnan(x) or math.isnan(y) or math.isinf(x) or y == 0.0:
        return NAN
    return math.remainder(x, y)


def quotient(x, y, z):
    """The exact integer n with z = x - n y (fmod / remainder pieces), by rational arithmetic."""
    if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(z)) or y == 0.0:
        return NAN
    n = (Fraction(x) - Fraction(z)) / Fraction(y)
    return float(n)


def fmax(x, y):
    if math.isnan(y):
        return x
    if math.isnan(x):
        return y
    return x if x > y else y


def fmin(x, y):
    if math.isnan(y):
        return x
    if math.isnan(x):
        return y
    return x if x < y else y


def logaddexp(x, y):
    if math.isnan(x) or math.isnan(y):
        return NAN
    m = max(x, y)
    if m == INF:
        return INF
    if m == -INF:
        return -INF
    return m + math.log1p(math.exp(-abs(x - y)))


def logaddexp_partials(x, y):
    if math.isinf(x) and x == y:
        return 0.5, 0.5
    if math.isnan(x) or math.isnan(y):
        return NAN, NAN
    return sigmoid(x - y), sigmoid(y - x)


def dsigmoid(x):
    """sigma(x) sigma(-x): both factors are accurate, so is the product."""
    return sigmoid(x) * sigmoid(-x)


def _dsigmoid_value(x):
    """e^-|x| / (1 + e^-|x|)^2: the symmetric form, so that values at the IEEE special
    operands agree exactly (the product form above differs in the last bit at x = 1)."""
    if math.isnan(x):
        return NAN
    e = math.exp(-abs(x))
    return e / ((1.0 + e) * (1.0 + e))


def hypot_partials(x, y):
    h = math.hypot(x, y)
    if h == 0.0:
        return 0.0, 0.0
    return ieee_div(x, h), ieee_div(y, h)


def _elu(x, c):
    if math.isnan(x):
        return NAN
    return x if x > 0.0 else c * math.expm1(x)

# ---- value rules: name -> f(x, y); y is the second operand or the op's constant ---------------
VALUE = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": ieee_div,
    "pow": ieee_pow,
    "maximum": maximum,
    "minimum": minimum,
    "neg": lambda x, y: -x,
    "exp": lambda x, y: ieee_exp(x),
    "log": lambda x, y: ieee_log(x),
    "sin": lambda x, y: _trig(math.sin, x),
    "cos": lambda x, y: _trig(math.cos, x),
    "tan": lambda x, y: _trig(math.tan, x),
    "sqrt": lambda x, y: ieee_sqrt(x),
    "tanh": lambda x, y: math.tanh(x),
    "sigmoid": lambda x, y: sigmoid(x),
    "relu": lambda x, y: relu(x),
    "softplus": lambda x, y: softplus(x),
    "abs": lambda x, y: math.fabs(x),
    "square": lambda x, y: x * x,
    "add_const": lambda x, c: x + c,
    "rsub_const": lambda x, c: c - x,
    "mul_const": lambda x, c: x * c,
    "div_const": ieee_div,
    "rdiv_const": lambda x, c: ieee_div(c, x),
    "pow_const": ieee_pow,
    "rpow_const": lambda x, c: ieee_pow(c, x),
    "leaky_relu": lambda x, c: x if x > 0.0 else c * x,
    "gt": step,
    "log1p": lambda x, y: log1p(x),
    "expm1": lambda x, y: _overflowing(math.expm1, False)(x),
    "log2": lambda x, y: _log_like(math.log2)(x),
    "log10": lambda x, y: _log_like(math.log10)(x),
    "exp2": lambda x, y: ieee_pow(2.0, x),
    "sinh": lambda x, y: _overflowing(math.sinh, True)(x),
    "cosh": lambda x, y: _overflowing(math.cosh, False)(x),
    "asin": lambda x, y: _nan_outside(math.asin, lambda v: abs(v) <= 1.0)(x),
    "acos": lambda x, y: _nan_outside(math.acos, lambda v: abs(v) <= 1.0)(x),
    "atan": lambda x, y: math.atan(x),
    "asinh": lambda x, y: math.asinh(x),
    "acosh": lambda x, y: _nan_outside(math.acosh, lambda v: v >= 1.0)(x),
    "atanh": lambda x, y: atanh(x),
    "atan2": math.atan2,
    "hypot": math.hypot,
    "erf": lambda x, y: math.erf(x),
    "erfc": lambda x, y: math.erfc(x),
    "cbrt": lambda x, y: cbrt(x),
    "sign": lambda x, y: sign(x),
    "floor": lambda x, y: _integral(math.floor)(x),
    "ceil": lambda x, y: _integral(math.ceil)(x),
    "round": lambda x, y: _integral(round)(x),  # Python rounds half to even
    "trunc": lambda x, y: _integral(math.trunc)(x),
    "fmod": fmod,
    "remainder": remainder,
    "copysign": math.copysign,
    "fmax": fmax,
    "fmin": fmin,
    "logaddexp": logaddexp,
    "lt": lambda x, y: 1.0 if x < y else 0.0,
    "le": lambda x, y: 1.0 if x <= y else 0.0,
    "ge": lambda x, y: 1.0 if x >= y else 0.0,
    "eq": lambda x, y: 1.0 if x == y else 0.0,
    "ne": lambda x, y: 1.0 if x != y else 0.0,
    "select_true": lambda c, a: a if (c != 0.0 or math.isnan(c)) else -0.0,
    "select_false": lambda c, b: b if c == 0.0 else -0.0,
    "stop_gradient": lambda x, y: x,
    "link": lambda x, y: -0.0,
    "dsigmoid": lambda x, y: _dsigmoid_value(x),
    "elu": _elu,
    "azmul": lambda x, y: 0.0 if (x == 0.0 or y == 0.0) else x * y,
}


def _pow_partials(x, y, z):
    # d/dx y x^(y-1), taken as 0 when y = 0 (x^0 = 1 is constant, even at x = 0);
    # d/dy x^y log x, taken as 0 at x = 0 (documented: log(0) replaced by 0, as JAX does).
    dx = 0.0 if y == 0.0 else y * ieee_pow(x, y - 1.0)
    dy = 0.0 if x == 0.0 else z * ieee_log(x)
    return dx, dy


# ---- local partial rules: name -> (dz/dx, dz/dy) at operands x, y with value z ---------------
# For a const-right op only dz/dx is used: the constant gets no derivative.
PARTIALS = {
    "add": lambda x, y, z: (1.0, 1.0),
    "sub": lambda x, y, z: (1.0, -1.0),
    "mul": lambda x, y, z: (y, x),
    "div": lambda x, y, z: (ieee_div(1.0, y), ieee_div(-x, y * y)),
    "pow": _pow_partials,
    "maximum": lambda x, y, z: (step(x, y), 1.0 - step(x, y)),  # ties -> y (lecture notes)
    "minimum": lambda x, y, z: (step(y, x), 1.0 - step(y, x)),  # ties -> y
    "neg": lambda x, y, z: (-1.0, 0.0),
    "exp": lambda x, y, z: (ieee_exp(x), 0.0),
    "log": lambda x, y, z: (ieee_div(1.0, x), 0.0),
    "sin": lambda x, y, z: (_trig(math.cos, x), 0.0),
    "cos": lambda x, y, z: (-_trig(math.sin, x), 0.0),
    "tan": lambda x, y, z: (ieee_div(1.0, _trig(math.cos, x) ** 2), 0.0),
    "sqrt": lambda x, y, z: (ieee_div(1.0, 2.0 * ieee_sqrt(x)), 0.0),
    "tanh": lambda x, y, z: (sech2(x), 0.0),
    "sigmoid": lambda x, y, z: (sigmoid(x) * (1.0 - sigmoid(x)), 0.0),
    "relu": lambda x, y, z: (step(x, 0.0), 0.0),  # relu'(0) = 0 (Prince fig. 7.6)
    "softplus": lambda x, y, z: (sigmoid(x), 0.0),  # lecture notes: e^x / (1 + e^x)
    "abs": lambda x, y, z: (step(x, 0.0) - step(0.0, x), 0.0),  # abs'(0) = 0
    "square": lambda x, y, z: (2.0 * x, 0.0),
    "add_const": lambda x, c, z: (1.0, 0.0),
    "rsub_const": lambda x, c, z: (-1.0, 0.0),
    "mul_const": lambda x, c, z: (c, 0.0),
    "div_const": lambda x, c, z: (ieee_div(1.0, c), 0.0),
    "rdiv_const": lambda x, c, z: (ieee_div(-c, x * x), 0.0),
    "pow_const": lambda x, c, z: (_pow_partials(x, c, z)[0], 0.0),
    "rpow_const": lambda x, c, z: (z * ieee_log(c), 0.0),
    "leaky_relu": lambda x, c, z: (1.0 if x > 0.0 else c, 0.0),  # slope alpha at 0 (Prince 7.41)
    "gt": lambda x, y, z: (0.0, 0.0),
    "log1p": lambda x, y, z: (ieee_div(1.0, 1.0 + x), 0.0),
    "expm1": lambda x, y, z: (ieee_exp(x), 0.0),
    "log2": lambda x, y, z: (ieee_div(1.0, x * LN2), 0.0),
    "log10": lambda x, y, z: (ieee_div(1.0, x * LN10), 0.0),
    "exp2": lambda x, y, z: (ieee_pow(2.0, x) * LN2, 0.0),
    "sinh": lambda x, y, z: (_overflowing(math.cosh, False)(x), 0.0),
    "cosh": lambda x, y, z: (_overflowing(math.sinh, True)(x), 0.0),
    "asin": lambda x, y, z: (ieee_div(1.0, ieee_sqrt(1.0 - x * x)), 0.0),
    "acos": lambda x, y, z: (-ieee_div(1.0, ieee_sqrt(1.0 - x * x)), 0.0),
    "atan": lambda x, y, z: (1.0 / (1.0 + x * x), 0.0),
    "asinh": lambda x, y, z: (1.0 / math.sqrt(1.0 + x * x), 0.0),
    "acosh": lambda x, y, z: (ieee_div(1.0, ieee_sqrt(x * x - 1.0)), 0.0),
    "atanh": lambda x, y, z: (ieee_div(1.0, 1.0 - x * x), 0.0),
    "atan2": lambda x, y, z: (ieee_div(y, x * x + y * y), ieee_div(-x, x * x + y * y)),
    "hypot": lambda x, y, z: hypot_partials(x, y),
    "erf": lambda x, y, z: (TWO_OVER_SQRT_PI * math.exp(-x * x), 0.0),
    "erfc": lambda x, y, z: (-TWO_OVER_SQRT_PI * math.exp(-x * x), 0.0),
    "cbrt": lambda x, y, z: (ieee_div(1.0, 3.0 * cbrt(x) ** 2), 0.0),
    "sign": lambda x, y, z: (0.0, 0.0),
    "floor": lambda x, y, z: (0.0, 0.0),
    "ceil": lambda x, y, z: (0.0, 0.0),
    "round": lambda x, y, z: (0.0, 0.0),
    "trunc": lambda x, y, z: (0.0, 0.0),
    "fmod": lambda x, y, z: (1.0, -quotient(x, y, z)),
    "remainder": lambda x, y, z: (1.0, -quotient(x, y, z)),
    "copysign": lambda x, y, z: ((step(x, 0.0) - step(0.0, x)) * math.copysign(1.0, y), 0.0),
    "fmax": lambda x, y, z: (1.0, 0.0) if (x > y or math.isnan(y)) else (0.0, 1.0),
    "fmin": lambda x, y, z: (1.0, 0.0) if (x < y or math.isnan(y)) else (0.0, 1.0),
    "logaddexp": lambda x, y, z: logaddexp_partials(x, y),
    "lt": lambda x, y, z: (0.0, 0.0),
    "le": lambda x, y, z: (0.0, 0.0),
    "ge": lambda x, y, z: (0.0, 0.0),
    "eq": lambda x, y, z: (0.0, 0.0),
    "ne": lambda x, y, z: (0.0, 0.0),
    "select_true": lambda c, a, z: (0.0, 0.0 if c == 0.0 else 1.0),
    "select_false": lambda c, b, z: (0.0, 1.0 if c == 0.0 else 0.0),
    "stop_gradient": lambda x, y, z: (0.0, 0.0),
    "link": lambda x, y, z: (y, 0.0),
    "dsigmoid": lambda x, y, z: (dsigmoid(x) * (sigmoid(-x) - sigmoid(x)), 0.0),
    "elu": lambda x, c, z: (1.0 if x > 0.0 else c * ieee_exp(x), 0.0),
    "azmul": lambda x, y, z: (y, x),
}


# ---- second derivatives, for the smooth-op tests: name -> [[zxx, zxy], [zxy, zyy]] ------------
def _pow_hessian(x, y):
    lx = math.log(x)
    return [[y * (y - 1.0) * x ** (y - 2.0), x ** (y - 1.0) * (1.0 + y * lx)],
            [x ** (y - 1.0) * (1.0 + y * lx), x ** y * lx * lx]]


def _zero(x, y):
    return [[0.0, 0.0], [0.0, 0.0]]


def _unary(f):
    return lambda x, y: [[f(x), 0.0], [0.0, 0.0]]


SECOND = {
    "add": _zero, "sub": _zero, "maximum": _zero, "minimum": _zero, "gt": _zero,
    "neg": _zero, "relu": _zero, "abs": _zero, "leaky_relu": _zero,
    "add_const": _zero, "rsub_const": _zero, "mul_const": _zero, "div_const": _zero,
    "mul": lambda x, y: [[0.0, 1.0], [1.0, 0.0]],
    "div": lambda x, y: [[0.0, -1.0 / y ** 2], [-1.0 / y ** 2, 2.0 * x / y ** 3]],
    "pow": _pow_hessian,
    "exp": _unary(math.exp),
    "log": _unary(lambda x: -1.0 / x ** 2),
    "sin": _unary(lambda x: -math.sin(x)),
    "cos": _unary(lambda x: -math.cos(x)),
    "tan": _unary(lambda x: 2.0 * math.sin(x) / math.cos(x) ** 3),
    "sqrt": _unary(lambda x: -0.25 * x ** -1.5),
    "tanh": _unary(lambda x: -2.0 * math.tanh(x) * sech2(x)),
    "sigmoid": _unary(lambda x: sigmoid(x) * (1.0 - sigmoid(x)) * (1.0 - 2.0 * sigmoid(x))),
    "softplus": _unary(lambda x: sigmoid(x) * (1.0 - sigmoid(x))),
    "square": _unary(lambda x: 2.0),
    "rdiv_const": lambda x, c: [[2.0 * c / x ** 3, 0.0], [0.0, 0.0]],
    "pow_const": lambda x, c: [[c * (c - 1.0) * x ** (c - 2.0), 0.0], [0.0, 0.0]],
    "rpow_const": lambda x, c: [[c ** x * math.log(c) ** 2, 0.0], [0.0, 0.0]],
    "sign": _zero, "floor": _zero, "ceil": _zero, "round": _zero, "trunc": _zero,
    "fmod": _zero, "remainder": _zero, "copysign": _zero, "fmax": _zero, "fmin": _zero,
    "lt": _zero, "le": _zero, "ge": _zero, "eq": _zero, "ne": _zero,
    "select_true": _zero, "select_false": _zero, "stop_gradient": _zero,
    "link": lambda x, y: [[0.0, 1.0], [0.0, 0.0]],  # d(partial_x = y)/dy = 1, not symmetric
    "azmul": lambda x, y: [[0.0, 1.0], [1.0, 0.0]],
    "log1p": _unary(lambda x: -1.0 / (1.0 + x) ** 2),
    "expm1": _unary(math.exp),
    "log2": _unary(lambda x: -1.0 / (x * x * LN2)),
    "log10": _unary(lambda x: -1.0 / (x * x * LN10)),
    "exp2": _unary(lambda x: 2.0 ** x * LN2 * LN2),
    "sinh": _unary(math.sinh),
    "cosh": _unary(math.cosh),
    "asin": _unary(lambda x: x / (1.0 - x * x) ** 1.5),
    "acos": _unary(lambda x: -x / (1.0 - x * x) ** 1.5),
    "atan": _unary(lambda x: -2.0 * x / (1.0 + x * x) ** 2),
    "asinh": _unary(lambda x: -x / (1.0 + x * x) ** 1.5),
    "acosh": _unary(lambda x: -x / (x * x - 1.0) ** 1.5),
    "atanh": _unary(lambda x: 2.0 * x / (1.0 - x * x) ** 2),
    "atan2": lambda a, b: [[-2.0 * a * b / (a * a + b * b) ** 2, (a * a - b * b) / (a * a + b * b) ** 2],
                           [(a * a - b * b) / (a * a + b * b) ** 2, 2.0 * a * b / (a * a + b * b) ** 2]],
    "hypot": lambda a, b: [[b * b / math.hypot(a, b) ** 3, -a * b / math.hypot(a, b) ** 3],
                           [-a * b / math.hypot(a, b) ** 3, a * a / math.hypot(a, b) ** 3]],
    "erf": _unary(lambda x: -2.0 * x * TWO_OVER_SQRT_PI * math.exp(-x * x)),
    "erfc": _unary(lambda x: 2.0 * x * TWO_OVER_SQRT_PI * math.exp(-x * x)),
    "cbrt": _unary(lambda x: -2.0 / (9.0 * cbrt(x) ** 5)),
    "logaddexp": lambda a, b: [[dsigmoid(a - b), -dsigmoid(a - b)],
                               [-dsigmoid(a - b), dsigmoid(a - b)]],
    "dsigmoid": _unary(lambda x: dsigmoid(x) * ((sigmoid(-x) - sigmoid(x)) ** 2
                                                - 2.0 * dsigmoid(x))),
    "elu": lambda x, c: [[0.0 if x > 0.0 else c * math.exp(x), 0.0], [0.0, 0.0]],
}

# Ops whose pieces are not affine (elu's left piece curves): which piece a point is on, for
# strategies.away_from_kinks (the affine test would call every point of a curved piece a kink).
# eq and ne are 0/1 at one point only (x == y), which the value and partials at +-KINK_MARGIN
# do not see: their piece is the sign of x - y. Without it, eq(sqrt(x)^2, x) at x = 0.75
# (operands one ulp apart) was kept, and a central difference landed on x == y on one side.
def _side(x, y):
    """Which side of x == y the operands are on: -1, 0 or 1."""
    return int(x > y) - int(x < y)


PIECES = {"elu": lambda x, c: x > 0.0, "eq": _side, "ne": _side}


def missing_rules():
    """Names of table ops that this file has no hand-written rule for (a new op needs one)."""
    computed = [op.name for op in ops.OPS if op.kind not in (ops.INPUT_KIND, ops.CONST_KIND)]
    return sorted(n for n in computed if n not in VALUE or n not in PARTIALS or n not in SECOND)


def op_value(name, x, y=0.0):
    """Value of op ``name`` at operands x, y (y: second operand or constant)."""
    return float(VALUE[name](x, y))


def op_partials(name, x, y=0.0):
    """Local partials (dz/dx, dz/dy) of op ``name``; dz/dy is 0 for unary and const-right ops."""
    z = op_value(name, x, y)
    dx, dy = PARTIALS[name](x, y, z)
    if ops.BY_NAME[name].arity < 2:
        dy = 0.0
    return float(dx), float(dy)


# ---- dual numbers ---------------------------------------------------------------------------
class Dual:
    """A value and its derivative along one direction (forward-mode AD by hand).

    Products of a partial with a derivative use the strong zero (``ieee_mul``), so a branch
    switched off by relu or maximum contributes 0 even where its partial is inf.
    """

    __slots__ = ("value", "derivative")

    def __init__(self, value, derivative=0.0):
        self.value = float(value)
        self.derivative = float(derivative)

    def __repr__(self):
        return f"Dual({self.value!r}, {self.derivative!r})"

    def __iter__(self):
        return iter((self.value, self.derivative))

    @staticmethod
    def _coerce(other):
        return other if isinstance(other, Dual) else Dual(other, 0.0)

    def __add__(self, other):
        other = self._coerce(other)
        return Dual(self.value + other.value, self.derivative + other.derivative)

    __radd__ = __add__

    def __neg__(self):
        return Dual(-self.value, -self.derivative)

    def __sub__(self, other):
        other = self._coerce(other)
        return Dual(self.value - other.value, self.derivative - other.derivative)

    def __rsub__(self, other):
        return self._coerce(other) - self

    def __mul__(self, other):
        other = self._coerce(other)
        return Dual(self.value * other.value,
                    ieee_mul(other.value, self.derivative) + ieee_mul(self.value, other.derivative))

    __rmul__ = __mul__

    def __truediv__(self, other):
        other = self._coerce(other)
        u, w = self.value, other.value
        return Dual(ieee_div(u, w), ieee_mul(ieee_div(1.0, w), self.derivative)
                    + ieee_mul(ieee_div(-u, w * w), other.derivative))

    def __rtruediv__(self, other):
        return self._coerce(other) / self

    def __pow__(self, other):
        other = self._coerce(other)
        z = ieee_pow(self.value, other.value)
        dx, dy = _pow_partials(self.value, other.value, z)
        return Dual(z, ieee_mul(dx, self.derivative) + ieee_mul(dy, other.derivative))

    def __rpow__(self, other):
        return self._coerce(other) ** self

    def apply(self, name, other=None):
        """This dual through op ``name`` (with a second dual, or a constant, as ``other``)."""
        other = self._coerce(0.0 if other is None else other)
        z = op_value(name, self.value, other.value)
        dx, dy = op_partials(name, self.value, other.value)
        return Dual(z, ieee_mul(dx, self.derivative) + ieee_mul(dy, other.derivative))


def _dual_rule(name):
    """Dual arithmetic for op ``name``: operators where Python has them, ``apply`` otherwise."""
    arithmetic = {
        "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b, "pow": lambda a, b: a ** b, "neg": lambda a, b: -a,
        "add_const": lambda a, c: a + c, "rsub_const": lambda a, c: c - a,
        "mul_const": lambda a, c: a * c, "div_const": lambda a, c: a / c,
        "rdiv_const": lambda a, c: c / a, "pow_const": lambda a, c: a ** c,
        "rpow_const": lambda a, c: c ** a,
    }
    return arithmetic.get(name, lambda a, b: a.apply(name, b))


# ---- evaluating a whole tape ----------------------------------------------------------------
def _walk(tape, leaf, combine):
    values = []
    op, arg0, arg1, consts = tape.op, tape.arg0, tape.arg1, tape.consts
    for i in range(len(op)):
        record = ops.BY_CODE[int(op[i])]
        kind = record.kind
        if kind == ops.INPUT_KIND:
            values.append(leaf(i))
        elif kind == ops.CONST_KIND:
            values.append(combine("const", float(consts[arg0[i]]), None))
        elif kind == ops.UNARY:
            values.append(combine(record.name, values[arg0[i]], None))
        elif kind == ops.BINARY:
            values.append(combine(record.name, values[arg0[i]], values[arg1[i]]))
        elif kind == ops.CONST_RIGHT:
            values.append(combine(record.name, values[arg0[i]], float(consts[arg1[i]])))
        else:
            raise NotImplementedError(f"reference evaluator: unknown operand kind {kind!r}")
    return values


def evaluate(tape, x):
    """Value of every tape node at input values ``x``, as a list of floats (naive, O(n) Python)."""
    x = [float(v) for v in x]

    def combine(name, a, b):
        if name == "const":
            return a
        return op_value(name, a, 0.0 if b is None else b)

    return _walk(tape, lambda i: x[i], combine)


def dual_evaluate(tape, x, v):
    """Every tape node as a :class:`Dual` at inputs ``x`` along the input direction ``v``."""
    x = [float(e) for e in x]
    v = [float(e) for e in v]

    def combine(name, a, b):
        if name == "const":
            return Dual(a, 0.0)
        return _dual_rule(name)(a, b)

    return _walk(tape, lambda i: Dual(x[i], v[i]), combine)


def jacobian(tape, x):
    """Jacobian (n_outputs lists of n_inputs floats) by one dual sweep per input."""
    n = tape.n_inputs
    cols = []
    for j in range(n):
        duals = dual_evaluate(tape, x, [1.0 if k == j else 0.0 for k in range(n)])
        cols.append([duals[o].derivative for o in tape.outputs])
    return [[cols[j][k] for j in range(n)] for k in range(len(tape.outputs))]
