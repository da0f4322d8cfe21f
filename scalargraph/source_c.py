"""A tape as C99 source: value, gradient and jvp, straight-line, libm calls.

The same lines as the Numba rendering (:mod:`scalargraph.source`, the derivative rule as
ternaries), each rule's Python expression translated to C through its syntax tree.
"""

import ast
import math
import re

from .source import Plan, _fill_python, _output_of, _Straight

# Numba's max(x, 0.0) is ``0.0 if 0.0 > x else x`` (numba/cpython/builtins.py, do_minmax).
# static inline: a helper that the tape does not call draws no -Wunused-function warning.
_C_HELPERS = '''\
static inline double sg_gt(double x, double y) { return x > y ? 1.0 : 0.0; }

static inline double sg_sigmoid(double x)
{
    if (x >= 0.0)
        return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

static inline double sg_softplus(double x)
{
    return (0.0 > x ? 0.0 : x) + log1p(exp(-fabs(x)));
}
static inline double sg_lt(double x, double y) { return x < y ? 1.0 : 0.0; }
static inline double sg_le(double x, double y) { return x <= y ? 1.0 : 0.0; }
static inline double sg_ge(double x, double y) { return x >= y ? 1.0 : 0.0; }
static inline double sg_eq(double x, double y) { return x == y ? 1.0 : 0.0; }
static inline double sg_ne(double x, double y) { return x != y ? 1.0 : 0.0; }
static inline double sg_where(double c, double a, double b) { return c != 0.0 ? a : b; }
/* what u adds through the partial d != 0 (kernels/reach.py: term, finite_or_nan) */
static inline double sg_term(double d, double u)
{
    const double pd = d + (d - d);  /* NaN where d is not finite */
    if (u != 0.0)
        return pd * u;
    return copysign(1.0, u) > 0.0 ? pd * 0.0 + 0.0 : -0.0;  /* -0.0: u not reached */
}
static inline double sg_dsigmoid(double x)
{
    double e = exp(-fabs(x));
    return e / ((1.0 + e) * (1.0 + e));
}
static inline double sg_cbrt(double x)
{
    if (x == 0.0 || !isfinite(x))
        return x + x;
    double a = fabs(x), s = 1.0;
    if (a < 2.2250738585072014e-308) {  /* subnormal: scaled as in kernels/scalar.py */
        a = a * 5.846006549323611e+48;
        s = 5.551115123125783e-17;
    }
    double c = pow(a, 1.0 / 3.0);
    c = c - (c * c * c - a) / (3.0 * c * c);
    return copysign(c * s, x);
}
static inline double sg_logaddexp(double x, double y)
{
    if (x == y)
        return x + 0.6931471805599453;
    double d = x - y;
    if (d > 0.0)
        return x + log1p(exp(-d));
    if (d <= 0.0)
        return y + log1p(exp(d));
    return d;
}
'''


_C_CALLS = {"gt": "sg_gt", "sigmoid": "sg_sigmoid", "softplus": "sg_softplus", "abs": "fabs",
           "lt": "sg_lt", "le": "sg_le", "ge": "sg_ge", "eq": "sg_eq", "ne": "sg_ne",
           "where": "sg_where", "dsigmoid": "sg_dsigmoid", "cbrt": "sg_cbrt",
           "logaddexp": "sg_logaddexp", "round": "rint"}  # C99's rint: half to even


def _c_expr(node):
    """A rule's Python expression tree (operands already in) as C."""
    if isinstance(node, ast.Expression):
        return _c_expr(node.body)
    if isinstance(node, ast.Constant):
        return _c_number(float(node.value))
    if isinstance(node, ast.Name):
        return {"inf": "INFINITY", "nan": "NAN"}.get(node.id, node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return f"(-{_c_expr(node.operand)})"
    if isinstance(node, ast.BinOp):
        a, b = _c_expr(node.left), _c_expr(node.right)
        if isinstance(node.op, ast.Pow):
            return f"pow({a}, {b})"
        sym = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}[type(node.op)]
        return f"({a} {sym} {b})"
    if isinstance(node, ast.BoolOp):
        sym = " || " if isinstance(node.op, ast.Or) else " && "
        return "(" + sym.join(_c_expr(v) for v in node.values) + ")"
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        sym = {ast.Gt: ">", ast.Lt: "<", ast.GtE: ">=", ast.LtE: "<=", ast.Eq: "==",
               ast.NotEq: "!="}[type(node.ops[0])]
        return f"({_c_expr(node.left)} {sym} {_c_expr(node.comparators[0])})"
    if isinstance(node, ast.Subscript):  # x[i], v[i]: the arguments
        return f"{_c_expr(node.value)}[{int(node.slice.value)}]"
    if isinstance(node, ast.IfExp):
        return f"({_c_expr(node.test)} ? {_c_expr(node.body)} : {_c_expr(node.orelse)})"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        fn = _C_CALLS.get(node.func.id, node.func.id)
        return f"{fn}({', '.join(_c_expr(a) for a in node.args)})"
    raise ValueError(f"cannot write {ast.unparse(node)!r} as C")  # a new rule construct


def _c_number(c):
    if math.isnan(c):
        return "NAN"
    if math.isinf(c):
        return "INFINITY" if c > 0 else "(-INFINITY)"
    return f"({c.hex()})" if c < 0 or math.copysign(1.0, c) < 0 else c.hex()


def _to_c(expr):
    return _c_expr(ast.parse(expr, mode="eval"))


_NAME = re.compile(r"\b[A-Za-z_]\w*")


def _function(signature, pairs, tail, head=()):
    """The lines of one C function: ``signature``, ``head``, a ``const double`` declaration
    for each (name, Python expression) of ``pairs`` that ``tail`` reads, directly or through
    another, then ``tail``. Only what is read is declared: an unused local draws a
    -Wunused-variable warning (the jvp computes every value, and returns tangents only).
    Dropping them changes no bit (the compiler dropped them too). A pointer parameter that
    nothing reads (``x`` in the jvp of a linear tape) is cast to void, for -Wextra."""
    read = set(_NAME.findall("\n".join([*head, *tail])))
    kept = []
    for name, expr in reversed(pairs):
        if name in read:
            c = _to_c(expr)
            kept.append(f"    const double {name} = {c};")
            read.update(_NAME.findall(c))
    params = signature[signature.index("(") + 1:signature.rindex(")")].split(",")
    names = (p.split()[-1].lstrip("*") for p in params)  # "const double *x" -> x
    unread = [f"    (void){name};" for name in names if name not in read]
    return [signature, "{", *unread, *head, *reversed(kept), *tail, "}", ""]


def c_source(tape, prefix="tape"):
    """C99 source of the tape's outputs, value and gradient, and forward-mode tangents (a str).

    Functions: ``void PREFIX_values(const double *x, double *out)``; ``double
    PREFIX_value_and_gradient(const double *x, int output, double *g)`` (returns the value,
    NAN for an output index out of range, writing the gradient into ``g``); ``void
    PREFIX_jvp(const double *x, const double *v, double *out)``. Straight-line code with
    libm calls in the interpreter's order and derivative rule; compile with
    ``-ffp-contract=off`` (``cc -O2 -ffp-contract=off -shared -fPIC``), link ``-lm``.
    Constants are written as C99 hex floats, exact.

    Cost: O(n_nodes) Python; about 80 B of text per node and pass.
    """
    if not (prefix.isascii() and prefix.isidentifier()):
        raise ValueError(f"prefix must be a C identifier (ASCII letters, digits and _, not "
                         f"starting with a digit), got {prefix!r}")
    plan = Plan(tape)
    n_in, m = plan.n_inputs, len(plan.outputs)
    # The tape's constants, read from a volatile array that the compiler cannot fold (see
    # Plan.const_names: GCC rewrites pow(x, -1.0) as 1.0 / x, folds log1p(2.0) with MPFR).
    used = plan.const_names()
    pool = [f"static const volatile double {prefix}_constants[{len(used)}] = "
            "{" + ", ".join(_to_c(lit) for _, lit in used) + "};", ""] if used else []
    consts = [(f"k{j}", f"{prefix}_constants[{n}]") for n, (j, _) in enumerate(used)]

    s = _Straight(plan, _fill_python, lambda i: f"x[{i}]")
    values = s.forward(partials=False)
    fwd = s.forward(partials=True)  # after: the backward pass reads the names it sets

    def seed(ks):
        return "(1.0 if (" + " or ".join(f"output == {k}" for k in ks) + ") else -0.0)"

    out = ["/* Straight-line code of a scalargraph tape: GENERATED by scalargraph.source.c_source.",
           f" * {plan.n} nodes, {n_in} inputs, {m} outputs. Compile with -ffp-contract=off. */",
           "#include <math.h>", "", _C_HELPERS, *pool]
    out += _function(f"void {prefix}_values(const double *x, double *out)",
                     consts + values,
                     [f"    out[{k}] = v{i};" for k, i in enumerate(plan.outputs)])
    out += _function(f"double {prefix}_value_and_gradient(const double *x, int output, double *g)",
                     consts + fwd + s.backward(seed),
                     [f"    g[{i}] = " + (f"a{i} + 0.0;" if plan.active[i] else "0.0;")
                      for i in range(n_in)]
                     + ["    switch (output) {"]
                     + [f"    case {k}: return v{i};" for k, i in enumerate(plan.outputs)]
                     + ["    }", "    return NAN;"],
                     [f"    if (output < 0 || output >= {m})", "        return NAN;"])
    out += _function(f"void {prefix}_jvp(const double *x, const double *v, double *out)",
                     consts + fwd + s.tangents(lambda i: f"v[{i}]"),
                     [f"    out[{k}] = {_output_of(plan, k, 't')};" for k in range(m)])
    return "\n".join(out)


