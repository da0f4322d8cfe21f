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
}


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
