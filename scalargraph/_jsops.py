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

# The table's function vocabulary (ops.py's rules, kernels/loops.py's helpers) in JavaScript.
_FUNCTIONS = {"exp": "Math.exp", "log": "Math.log", "sin": "Math.sin", "cos": "Math.cos",
              "tan": "Math.tan", "sqrt": "Math.sqrt", "tanh": "Math.tanh", "abs": "Math.abs",
              "log1p": "Math.log1p", "gt": "_gt", "sigmoid": "_sigmoid", "softplus": "_softplus"}

# The helpers, as kernels/loops.py computes them (same branches, same order of operations;
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
