"""The op table as JavaScript, for the explorer page's evaluator: translated, not hand-written.

Each record's ``value`` and ``partials`` are Python expression strings over ``x``, ``y``,
``z`` (see :mod:`scalargraph.ops`); :func:`op_table_js` walks them with :mod:`ast` and writes
one JavaScript function ``lin(o, x, y)`` that returns ``[z, dz/dx, dz/dy]``, so an op added
to the table reaches the page with no change here. The vocabulary of functions maps to
``Math`` (``exp``, ``log``, ...) or to helpers written like the Numba kernels' (``gt``,
``sigmoid``, ``softplus``, and ``**`` as C's ``pow``). An op whose rule uses anything else is left out and
listed, and the page says so and offers only the precomputed points.
"""

import ast

from . import ops

# The table's function vocabulary (ops.py's rules, kernels/scalar.py's helpers) in JavaScript.
_FUNCTIONS = {"exp": "Math.exp", "log": "Math.log", "sin": "Math.sin", "cos": "Math.cos",
              "tan": "Math.tan", "sqrt": "Math.sqrt", "tanh": "Math.tanh", "abs": "Math.abs",
              "log1p": "Math.log1p", "gt": "_gt", "sigmoid": "_sigmoid", "softplus": "_softplus",
              "expm1": "Math.expm1", "log2": "Math.log2", "log10": "Math.log10",
              "exp2": "_exp2", "sinh": "Math.sinh", "cosh": "Math.cosh", "asin": "Math.asin",
              "acos": "Math.acos", "atan": "Math.atan", "asinh": "Math.asinh",
              "acosh": "Math.acosh", "atanh": "Math.atanh", "atan2": "Math.atan2",
              "hypot": "Math.hypot", "floor": "Math.floor", "ceil": "Math.ceil",
              "trunc": "Math.trunc", "fmod": "_fmod", "copysign": "_copysign", "cbrt": "_cbrt",
              "round": "_rint", "remainder": "_remainder", "logaddexp": "_logaddexp",
              "dsigmoid": "_dsigmoid", "where": "_where", "lt": "_lt", "le": "_le",
              "ge": "_ge", "eq": "_eq", "ne": "_ne"}
# erf and erfc have no JavaScript (Math has neither): ops that use them fall back to the
# precomputed points, with the note the page shows.

# The helpers, as kernels/scalar.py computes them (same branches, same order of operations;
# Numba's max(x, 0.0) keeps x unless 0.0 > x, so NaN and -0.0 pass through).
_HELPERS = """\
function _gt(x, y) { return x > y ? 1.0 : 0.0; }
function _pow(x, y) {  // C's pow, which Numba calls: JavaScript gives NaN for these three
  if (x === 1.0 || y === 0.0) return 1.0;  // pow(1, nan) = pow(nan, 0) = 1
  if (x === -1.0 && (y === Infinity || y === -Infinity)) return 1.0;
  return Math.pow(x, y);
}
function _sigmoid(x) {
  if (x >= 0.0) return 1.0 / (1.0 + Math.exp(-x));
  const e = Math.exp(x); return e / (1.0 + e);
}
function _softplus(x) { return (0.0 > x ? 0.0 : x) + Math.log1p(Math.exp(-Math.abs(x))); }
function _lt(x, y) { return x < y ? 1.0 : 0.0; }
function _le(x, y) { return x <= y ? 1.0 : 0.0; }
function _ge(x, y) { return x >= y ? 1.0 : 0.0; }
function _eq(x, y) { return x === y ? 1.0 : 0.0; }
function _ne(x, y) { return x !== y ? 1.0 : 0.0; }
function _where(c, a, b) { return c !== 0.0 ? a : b; }  // NaN counts as true, as in Numba
function _exp2(x) { return _pow(2.0, x); }
function _fmod(x, y) { return x % y; }  // JavaScript's % is C's fmod
function _copysign(x, y) { return (y < 0.0 || Object.is(y, -0.0)) ? -Math.abs(x) : Math.abs(x); }
function _dsigmoid(x) { const e = Math.exp(-Math.abs(x)); return e / ((1.0 + e) * (1.0 + e)); }
function _cbrt(x) {
  if (x === 0.0 || !isFinite(x)) return x + x;
  let a = Math.abs(x), s = 1.0;
  if (a < 2.2250738585072014e-308) { a = a * 5.846006549323611e+48; s = 5.551115123125783e-17; }
  let c = _pow(a, 1.0 / 3.0);
  c = c - (c * c * c - a) / (3.0 * c * c);
  return _copysign(c * s, x);
}
function _rint(x) {  // round half to even, as np.rint
  const r = Math.round(x);
  return (Math.abs(x % 1.0) === 0.5 && r % 2.0 !== 0.0) ? r - 1.0 : r;
}
function _remainder(x, y) {  // IEEE remainder, CPython's algorithm (every step exact)
  if (isNaN(x)) return x;
  if (isNaN(y)) return y;
  if (!isFinite(x) || y === 0.0) return NaN;
  if (!isFinite(y)) return x;
  const ax = Math.abs(x), ay = Math.abs(y), m = ax % ay, c = ay - m;
  const r = m < c ? m : (m > c ? -c : m - 2.0 * ((0.5 * (ax - m)) % ay));
  return _copysign(1.0, x) * r;
}
function _logaddexp(x, y) {
  if (x === y) return x + 0.6931471805599453;
  const d = x - y;
  if (d > 0.0) return x + Math.log1p(Math.exp(-d));
  if (d <= 0.0) return y + Math.log1p(Math.exp(d));
  return d;
}
"""

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}  # ** is _pow
_CMPOPS = {ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<=", ast.Eq: "===", ast.NotEq: "!=="}


class Untranslatable(ValueError):
    """A rule uses Python the translator does not know."""


def translate(expr):
    """One rule (a Python expression over x, y, z) as a JavaScript expression.

    Everything is parenthesized, so JavaScript's precedence never decides anything; ``**``
    becomes ``_pow``, C's pow (JavaScript's differs at pow(1, nan) and three more points). Raises :class:`Untranslatable` for anything outside the table's
    vocabulary.
    """
    return _js(ast.parse(expr, mode="eval").body)


def _js(node):
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return repr(float(node.value))
    if isinstance(node, ast.Name) and node.id in ("x", "y", "z"):
        return node.id
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        return f"_pow({_js(node.left)}, {_js(node.right)})"
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return f"({_js(node.left)} {_BINOPS[type(node.op)]} {_js(node.right)})"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
        sign = {ast.USub: "-", ast.UAdd: "+", ast.Not: "!"}[type(node.op)]
        return f"({sign}{_js(node.operand)})"
    if isinstance(node, ast.BoolOp):
        glue = " && " if isinstance(node.op, ast.And) else " || "
        return "(" + glue.join(_js(v) for v in node.values) + ")"
    if isinstance(node, ast.Compare) and all(type(o) in _CMPOPS for o in node.ops):
        terms, left = [], node.left
        for o, right in zip(node.ops, node.comparators):  # a < b < c is a < b and b < c
            terms.append(f"({_js(left)} {_CMPOPS[type(o)]} {_js(right)})")
            left = right
        return "(" + " && ".join(terms) + ")"
    if isinstance(node, ast.IfExp):
        return f"({_js(node.test)} ? {_js(node.body)} : {_js(node.orelse)})"
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCTIONS and not node.keywords):
        return f"{_FUNCTIONS[node.func.id]}({', '.join(_js(a) for a in node.args)})"
    raise Untranslatable(f"no JavaScript for {ast.unparse(node)!r}")


def op_table_js(table=ops.OPS):
    """JavaScript source of ``lin(o, x, y)`` -> ``[value, partial 0, partial 1]`` for every
    op of ``table`` that translates, and the names of those that do not.

    ``x`` is the first operand, ``y`` the second or the op's constant (as in the table);
    inputs and constants are left to the caller. Returns ``(source, untranslated)``.
    """
    cases, missing = [], []
    for rec in table:
        if rec.kind in (ops.INPUT_KIND, ops.CONST_KIND):
            continue
        try:
            value = translate(rec.value)
            parts = [translate(p) for p in rec.partials] + ["0.0"] * (2 - len(rec.partials))
        except (Untranslatable, SyntaxError):
            missing.append(rec.name)
            continue
        cases.append(f"    case {rec.code}: {{ const z = {value}; "
                     f"return [z, {parts[0]}, {parts[1]}]; }}  // {rec.name}")
    source = (_HELPERS + "function lin(o, x, y) {\n  switch (o) {\n" + "\n".join(cases)
              + "\n    default: return null;\n  }\n}\n")
    return source, missing
