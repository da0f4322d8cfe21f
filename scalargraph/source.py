"""A tape as straight-line source: Numba (for :mod:`scalargraph.specialize`), Python and C.

Every node becomes one local variable, in the tape's (topological) order, and every
expression is the op table's own rule string (:mod:`scalargraph.ops`) with the operands
put in: the same operations, in the same order, as the interpreter's sweeps
(``scalargraph/kernels/forward.py`` and ``sweeps.py``).

The backward pass is written *pull*-style, one line per node, as the textbooks write it
(Domke's notes, Prince section 7.4): node p's adjoint is the sum over its children c of
``adjoint(c) * d c / d p``, the children taken from the last one back, slot 0 before slot 1.
That is exactly the order in which the interpreter's reverse sweep adds into ``adjoints[p]``,
so the sums round the same way. Zero is a strong zero, as in the sweeps: a term whose
partial or child adjoint is zero adds nothing (a select, ``... if ... != 0.0 else 0.0``),
even against inf or NaN. Results are then bit for bit the interpreter's, up to the sign of
a zero sum, which the gradient (and tangent) outputs normalize by adding ``+0.0`` (the
interpreter's sums start from +0.0 and so are never -0.0).

Three renderings:

* :func:`numba_module` -- the module that :mod:`scalargraph.specialize` compiles: point
  functions with O(1) shape checks, and row loops for batches;
* :func:`python_source` -- readable Python, forward and backward pass one line per node;
  runs in plain Python (``math``), where Python raises on log(0) and the like;
* :func:`c_source` -- C99 of the value and gradient with libm calls; compile it with
  ``-ffp-contract=off`` (no fused multiply-adds) for the interpreter's bits.
"""

import ast
import keyword
import math

from . import ops

# Helpers that the rules call besides ``math`` (scalargraph/kernels/scalar.py), written out
# for the Python and C renderings with the same operations.
_PY_HELPERS = '''\
def gt(x, y):
    return 1.0 if x > y else 0.0


def sigmoid(x):
    if x >= 0.0:
        return 1.0 / (1.0 + exp(-x))
    e = exp(x)
    return e / (1.0 + e)


def softplus(x):
    return max(x, 0.0) + log1p(exp(-abs(x)))
'''

# Numba's max(x, 0.0) is ``0.0 if 0.0 > x else x`` (numba/cpython/builtins.py, do_minmax).
_C_HELPERS = '''\
static double sg_gt(double x, double y) { return x > y ? 1.0 : 0.0; }

static double sg_sigmoid(double x)
{
    if (x >= 0.0)
        return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

static double sg_softplus(double x)
{
    return (0.0 > x ? 0.0 : x) + log1p(exp(-fabs(x)));
}
'''

_MATH = ("cos", "exp", "log", "log1p", "sin", "sqrt", "tan", "tanh")


def literal(c):
    """A float as Python source that reads back to the same bits (inf, nan, -0.0 included)."""
    c = float(c)
    if math.isnan(c):
        return "nan"
    if math.isinf(c):
        return "inf" if c > 0 else "(-inf)"
    return repr(c) if math.copysign(1.0, c) > 0 else f"({c!r})"


def _number(expr):
    """The float an expression string is, if it is a plain literal; else None."""
    try:
        return float(expr.strip().strip("()"))
    except ValueError:
        return None


class Plan:
    """What the renderings need from a tape: live nodes, their expressions, their children.

    ``live``: nodes some output depends on (the others are never written); ``active``:
    live nodes that depend on an input (the only ones with nonzero adjoints and tangents).
    Cost: O(n_nodes) Python work.
    """

    def __init__(self, tape):
        self.tape = tape
        op, arg0, arg1 = tape.op.tolist(), tape.arg0.tolist(), tape.arg1.tolist()
        self.consts = tape.consts.tolist()
        self.outputs = tape.outputs.tolist()
        self.n = n = len(op)
        self.n_inputs = tape.n_inputs
        self.rec = [ops.BY_CODE[o] for o in op]
        self.parents = [(arg0[i], arg1[i])[:self.rec[i].arity] for i in range(n)]
        self.arg0, self.arg1 = arg0, arg1
        live = [False] * n
        for i in self.outputs:
            live[i] = True
        for i in range(n - 1, -1, -1):
            if live[i]:
                for p in self.parents[i]:
                    live[p] = True
        active = [False] * n
        for i in range(n):
            active[i] = live[i] and (i < self.n_inputs or any(active[p] for p in self.parents[i]))
        self.live, self.active = live, active
        # children[p]: (c, slot) with parents[c][slot] == p, last child first, slot 0 first:
        # the order of the interpreter's additions into adjoints[p].
        children = [[] for _ in range(n)]
        for c in range(n - 1, -1, -1):
            if active[c]:
                for slot, p in enumerate(self.parents[c]):
                    children[p].append((c, slot))
        self.children = children

    # ---- expressions ----------------------------------------------------------------------
    def _operands(self, i, name):
        rec = self.rec[i]
        x = name(self.arg0[i])
        if rec.kind == ops.Kind.BINARY:
            return x, name(self.arg1[i])
        if rec.kind == ops.Kind.CONST_RIGHT:
            return x, literal(self.consts[self.arg1[i]])
        return x, None

    def value(self, i, name, fill):
        """Node i's value expression (not for inputs), its rule with the operands put in."""
        rec = self.rec[i]
        if rec.kind == ops.Kind.CONST:
            return literal(self.consts[self.arg0[i]])
        x, y = self._operands(i, name)
        return fill(rec.value, {"x": x, "y": y})

    def partial(self, i, slot, name, fill):
        """d node i / d parent ``slot`` as an expression (``z`` is node i's own value)."""
        x, y = self._operands(i, name)
        return fill(self.rec[i].partials[slot], {"x": x, "y": y, "z": name(i)})

    def seeds(self, i):
        """Positions k with outputs[k] == i."""
        return [k for k, o in enumerate(self.outputs) if o == i]


def _fill_python(rule, names):
    """Substitute operand names into a rule string (Python syntax)."""
    tree = ast.parse(rule, mode="eval")

    class Put(ast.NodeTransformer):
        def visit_Name(self, node):
            if node.id in names:
                return ast.parse(names[node.id], mode="eval").body
            return node

    return ast.unparse(Put().visit(tree))


# ---- Numba (what specialize compiles) ---------------------------------------------------
def _select(d, u):
    """``d * u`` under the strong zero: 0.0 where d or u is 0 (d a name or a literal)."""
    if _number(d) is not None:
        return f"({d} * {u} if {u} != 0.0 else 0.0)"
    return f"({d} * {u} if ({d} != 0.0 and {u} != 0.0) else 0.0)"


_PLAIN = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Constant, ast.Load,
          ast.operator, ast.unaryop)


class _NumbaRules:
    """The Numba flavor of the rule filler: plain arithmetic and ``math`` calls are written
    in line; a rule with a branch (``... if ... else ...``, ``or``) or calling a helper
    (``sigmoid``) becomes a call of :mod:`scalargraph.kernels.straight` with the opcode a
    literal (see there why: Numba's compile time grows with basic blocks)."""

    _CALL = {ops.Kind.UNARY: ("unary", "unary_d"), ops.Kind.BINARY: ("binary", "binary_d"),
             ops.Kind.CONST_RIGHT: ("const_right", "const_right_d")}

    def __init__(self, plan):
        self.plan = plan
        self.plain = {}

    def _is_plain(self, rule):
        if rule not in self.plain:
            ok = True
            for node in ast.walk(ast.parse(rule, mode="eval")):
                if isinstance(node, ast.Call):
                    ok &= isinstance(node.func, ast.Name) and node.func.id in _MATH + ("abs",)
                elif not isinstance(node, _PLAIN):
                    ok = False
            self.plain[rule] = ok
        return self.plain[rule]

    def value(self, i, name):
        plan, rec = self.plan, self.plan.rec[i]
        if rec.kind == ops.Kind.CONST or self._is_plain(rec.value):
            return plan.value(i, name, _fill_python)
        x, y = plan._operands(i, name)
        args = ", ".join(a for a in (f"{rec.code}.0", x, y) if a is not None)
        return f"_k.{self._CALL[rec.kind][0]}({args})"

    def partial(self, i, slot, name):
        plan, rec = self.plan, self.plan.rec[i]
        if self._is_plain(rec.partials[slot]):
            return plan.partial(i, slot, name, _fill_python)
        x, y = plan._operands(i, name)
        fn = self._CALL[rec.kind][1] + (str(slot) if rec.kind == ops.Kind.BINARY else "")
        args = ", ".join(a for a in (f"{rec.code}.0", x, y) if a is not None)
        return f"_k.{fn}({args})"


class _Straight:
    """Straight-line lines of one tape for the strong-zero (Numba and C) renderings."""

    def __init__(self, plan, fill, x_ref, select=_select, rules=None):
        self.plan, self.fill, self.x_ref, self.select = plan, fill, x_ref, select
        self.rules = rules  # a _NumbaRules, or None for plain rule strings

    def _value(self, i):
        if self.rules is not None:
            return self.rules.value(i, self.v)
        return self.plan.value(i, self.v, self.fill)

    def _partial(self, i, s):
        if self.rules is not None:
            return self.rules.partial(i, s, self.v)
        return self.plan.partial(i, s, self.v, self.fill)

    def v(self, i):
        return f"v{i}"

    def forward(self, partials):
        """``(name, expression)`` per live node; with partials, ``d{i}_{s}`` locals too, for
        active nodes whose partial is not a literal (their literal is used in place)."""
        plan, out = self.plan, []
        self.dnames = {}
        for i in range(plan.n):
            if not plan.live[i]:
                continue
            if i < plan.n_inputs:
                out.append((f"v{i}", self.x_ref(i)))
                continue
            out.append((f"v{i}", self._value(i)))
            if partials and plan.active[i]:
                for s, p in enumerate(plan.parents[i]):
                    if not plan.active[p]:
                        continue
                    d = self._partial(i, s)
                    if _number(d) is None:
                        out.append((f"d{i}_{s}", d))
                        self.dnames[i, s] = f"d{i}_{s}"
                    else:
                        self.dnames[i, s] = d
        return out

    def backward(self, seed):
        """``(name, expression)`` per active node, last first: its adjoint ``a{i}``."""
        plan, out = self.plan, []
        for p in range(plan.n - 1, -1, -1):
            if not plan.active[p]:
                continue
            terms = []
            k = plan.seeds(p)
            if k:
                terms.append(seed(k))
            for c, s in plan.children[p]:
                d = self.dnames[c, s]
                if _number(d) == 0.0:
                    continue  # the partial is the literal 0: no path (the sweeps skip it)
                terms.append(self.select(d, f"a{c}"))
            out.append((f"a{p}", " + ".join(terms) if terms else "0.0"))
        return out

    def tangents(self, v_ref):
        """``(name, expression)`` per active node, first first: its tangent ``t{i}``."""
        plan, out = self.plan, []
        for i in range(plan.n):
            if not plan.active[i]:
                continue
            if i < plan.n_inputs:
                out.append((f"t{i}", v_ref(i)))
                continue
            terms = []
            for s, p in enumerate(plan.parents[i]):
                d = self.dnames.get((i, s))
                if not plan.active[p] or _number(d) == 0.0:
                    continue
                terms.append(self.select(d, f"t{p}"))
            out.append((f"t{i}", " + ".join(terms) if terms else "0.0"))
        return out


def _output_of(plan, k, prefix, fallback="0.0", normalize=True):
    """The expression for output k's adjoint/tangent-like local (0.0 where inactive)."""
    i = plan.outputs[k]
    if not plan.active[i]:
        return fallback
    return f"{prefix}{i} + 0.0" if (normalize and i >= plan.n_inputs) else f"{prefix}{i}"


NUMBA_HEADER = '''\
"""Straight-line code of one tape: GENERATED by scalargraph.source.numba_module.

Do not edit: scalargraph.specialize writes it, named by a digest of the tape's arrays and of
the generator, and Numba caches its compiled functions next to it.
"""

import math

from numba import njit

from scalargraph.kernels import straight as _k
from scalargraph.kernels.scalar import gt, sigmoid, softplus

{math_names} = {math_values}
inf, nan = math.inf, math.nan

N_INPUTS = {n_inputs}
N_OUTPUTS = {n_outputs}
N_NODES = {n_nodes}

_JIT = dict(cache=True, nogil=True, error_model="numpy")
'''


def numba_module(tape):
    """The Numba module :mod:`scalargraph.specialize` compiles for ``tape`` (a str).

    Point functions ``values(x, out)``, ``value_and_gradient(x, output, g) -> value``,
    ``jvp(x, v, out)``, each checking its arrays' lengths and the output index (they may be
    called from user ``@njit`` code); and row loops ``values_rows(X, out)``,
    ``value_and_gradient_rows(X, output, values, G)``, ``jvp_rows(X, V, out)`` over points
    (B, n_inputs), ``V`` one row per point or a single row for all.

    Cost: O(n_nodes) Python to write; the text is about 60 B per node and pass.
    """
    plan = Plan(tape)
    n_in, m = plan.n_inputs, len(plan.outputs)
    text = [NUMBA_HEADER.format(
        math_names=", ".join(_MATH), math_values=", ".join(f"math.{f}" for f in _MATH),
        n_inputs=n_in, n_outputs=m, n_nodes=plan.n)]

    def block(pairs, indent="    "):
        return [f"{indent}{name} = {expr}" for name, expr in pairs]

    rules = _NumbaRules(plan)

    def sz(d, u):
        return f"_k.sz({d}, {u})"

    s = _Straight(plan, _fill_python, lambda i: f"x[{i}]", sz, rules)
    fwd_values = s.forward(partials=False)
    text += ["", "@njit(**_JIT)", "def values(x, out):",
             '    """Every output at x (N_INPUTS,) into out (N_OUTPUTS,)."""',
             "    if x.shape[0] != N_INPUTS or out.shape[0] != N_OUTPUTS:",
             '        raise ValueError("values: x must have N_INPUTS entries and out N_OUTPUTS")']
    text += block(fwd_values)
    text += [f"    out[{k}] = v{i}" for k, i in enumerate(plan.outputs)]

    s = _Straight(plan, _fill_python, lambda i: f"x[{i}]", sz, rules)
    fwd = s.forward(partials=True)
    if m == 1:
        def seed(ks):
            return "1.0"
    else:
        def seed(ks):
            return "(1.0 if (" + " or ".join(f"output == {k}" for k in ks) + ") else 0.0)"
    text += ["", "", "@njit(**_JIT)", "def value_and_gradient(x, output, g):",
             '    """Output ``output`` at x (N_INPUTS,), returned; its gradient into g."""',
             "    if x.shape[0] != N_INPUTS or g.shape[0] != N_INPUTS:",
             '        raise ValueError("value_and_gradient: x and g must have N_INPUTS entries")',
             "    if output < 0 or output >= N_OUTPUTS:",
             '        raise ValueError("value_and_gradient: output index out of range")']
    text += block(fwd)
    text += block(s.backward(seed))
    text += [f"    g[{i}] = " + (f"a{i} + 0.0" if plan.active[i] else "0.0") for i in range(n_in)]
    if m == 1:
        text.append(f"    return v{plan.outputs[0]}")
    else:
        for k, i in enumerate(plan.outputs):
            text += [f"    if output == {k}:", f"        return v{i}"]
        text.append("    return nan")

    text += ["", "", "@njit(**_JIT)", "def jvp(x, v, out):",
             '    """Tangents of the outputs along v (N_INPUTS,) at x, into out (N_OUTPUTS,)."""',
             "    if x.shape[0] != N_INPUTS or v.shape[0] != N_INPUTS or out.shape[0] != N_OUTPUTS:",
             '        raise ValueError("jvp: x and v must have N_INPUTS entries, out N_OUTPUTS")']
    text += block(fwd)
    text += block(s.tangents(lambda i: f"v[{i}]"))
    text += [f"    out[{k}] = " + _output_of(plan, k, "t") for k in range(m)]

    text += ['''

@njit(**_JIT)
def values_rows(X, out):
    """``values`` at every row of X (B, N_INPUTS), into out (B, N_OUTPUTS)."""
    for j in range(X.shape[0]):
        values(X[j], out[j])


@njit(**_JIT)
def value_and_gradient_rows(X, output, vals, G):
    """``value_and_gradient`` at every row of X, into vals (B,) and G (B, N_INPUTS)."""
    for j in range(X.shape[0]):
        vals[j] = value_and_gradient(X[j], output, G[j])


@njit(**_JIT)
def jvp_rows(X, V, out):
    """``jvp`` at every row of X along V's row j (V of shape (B, N_INPUTS)) or V[0]."""
    one = V.shape[0] == 1
    for j in range(X.shape[0]):
        jvp(X[j], V[0] if one else V[j], out[j])
''']
    return "\n".join(text)


# ---- readable Python ---------------------------------------------------------------------
def _ident(name, fallback):
    return name if isinstance(name, str) and name.isidentifier() and not name.startswith("_") \
        and not keyword.iskeyword(name) \
        and name not in _MATH and name not in ("gt", "sigmoid", "softplus", "inputs", "inf", "nan") \
        and not (name[:1] in "vg" and name[1:].isdigit()) else fallback


def _atom(expr):
    """expr, parenthesized unless it is a name, a number or a call."""
    node = ast.parse(expr, mode="eval").body
    if isinstance(node, (ast.Name, ast.Call)) or (isinstance(node, ast.Constant)):
        return expr
    return f"({expr})"


def python_source(tape, output=None):
    """Readable straight-line Python of one output's value and gradient (a str).

    ``value_and_gradient(inputs)`` returns ``(value, [d value / d x_i ...])``: a forward pass,
    one line per node, then a backward pass, one line per node: ``g_p`` = d value / d node p
    is the sum over p's children c of ``g_c * (d c / d p)``, in the interpreter's order (no
    strong-zero selects here, for readability: at inf or NaN partials the tape's methods
    are the reference). Plain Python math: where the tape gives inf or NaN (log(0), x / 0),
    Python raises.

    Cost: O(n_nodes) Python; about 40 B of text per node and pass.
    """
    k = tape._output(output)
    plan = Plan(tape)
    target = plan.outputs[k]
    # Only the chosen output's ancestors.
    keep = [False] * plan.n
    keep[target] = True
    for i in range(plan.n - 1, -1, -1):
        if keep[i]:
            for p in plan.parents[i]:
                keep[p] = True
    names = {}
    for i in range(plan.n_inputs):
        names[i] = _ident(tape.input_names[i], f"x{i}")
    if len(set(names.values())) != plan.n_inputs:
        names = {i: f"x{i}" for i in range(plan.n_inputs)}

    def name(i):
        return names.get(i, f"v{i}")

    lines = ["from math import " + ", ".join(_MATH + ("inf", "nan")), "", "", _PY_HELPERS, "",
             "def value_and_gradient(inputs):",
             f'    """Output {k} of the tape and its gradient at ``inputs`` ({plan.n_inputs} numbers).',
             "",
             "    Forward pass: one line per node. Backward pass: g_i = d output / d node i, one",
             '    line per node, summing over the node\'s children (chain rule)."""',
             "    " + ", ".join(name(i) for i in range(plan.n_inputs))
             + (", = inputs" if plan.n_inputs == 1 else " = inputs") if plan.n_inputs else "    pass",
             "    # forward pass"]
    for i in range(plan.n_inputs, plan.n):
        if keep[i]:
            lines.append(f"    {name(i)} = {plan.value(i, name, _fill_python)}")
    lines.append("    # backward pass")
    for p in range(plan.n - 1, -1, -1):
        if not (keep[p] and plan.active[p]):
            continue
        terms = ["1.0"] if p == target else []
        for c, s in plan.children[p]:
            if not keep[c]:
                continue
            d = plan.partial(c, s, name, _fill_python)
            num = _number(d)
            if num == 0.0:
                continue
            terms.append(f"g{c}" if num == 1.0 else f"-g{c}" if num == -1.0
                         else f"g{c} * {_atom(d)}")
        expr = " + ".join(terms).replace("+ -", "- ") if terms else "0.0"
        lines.append(f"    g{p} = {expr}")
    grads = [f"g{i}" if (keep[i] and plan.active[i]) else "0.0" for i in range(plan.n_inputs)]
    lines.append(f"    return {name(target)}, [{', '.join(grads)}]")
    return "\n".join(lines) + "\n"


# ---- C99 -------------------------------------------------------------------------------
_C_CALLS = {"gt": "sg_gt", "sigmoid": "sg_sigmoid", "softplus": "sg_softplus", "abs": "fabs"}


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


def c_source(tape, prefix="tape"):
    """C99 source of the tape's outputs, value and gradient, and forward-mode tangents (a str).

    Functions: ``void PREFIX_values(const double *x, double *out)``; ``double
    PREFIX_value_and_gradient(const double *x, int output, double *g)`` (returns the value,
    NAN for an output index out of range, writing the gradient into ``g``); ``void
    PREFIX_jvp(const double *x, const double *v, double *out)``. Straight-line code with
    libm calls in the interpreter's order and strong zeros; compile with
    ``-ffp-contract=off`` (``cc -O2 -ffp-contract=off -shared -fPIC``), link ``-lm``.
    Constants are written as C99 hex floats, exact.

    Cost: O(n_nodes) Python; about 80 B of text per node and pass.
    """
    if not prefix.isidentifier():
        raise ValueError(f"prefix must be a C identifier, got {prefix!r}")
    plan = Plan(tape)
    n_in, m = plan.n_inputs, len(plan.outputs)

    def decl(pairs):
        return [f"    const double {name} = {_to_c(expr)};" for name, expr in pairs]

    s = _Straight(plan, _fill_python, lambda i: f"x[{i}]")
    out = ["/* Straight-line code of a scalargraph tape: GENERATED by scalargraph.source.c_source.",
           f" * {plan.n} nodes, {n_in} inputs, {m} outputs. Compile with -ffp-contract=off. */",
           "#include <math.h>", "", _C_HELPERS,
           f"void {prefix}_values(const double *x, double *out)", "{"]
    out += decl(s.forward(partials=False))
    out += [f"    out[{k}] = v{i};" for k, i in enumerate(plan.outputs)]
    out += ["}", ""]
    fwd = s.forward(partials=True)

    def seed(ks):
        return "(1.0 if (" + " or ".join(f"output == {k}" for k in ks) + ") else 0.0)"

    out += [f"double {prefix}_value_and_gradient(const double *x, int output, double *g)", "{",
            f"    if (output < 0 || output >= {m})", "        return NAN;"]
    out += decl(fwd)
    out += decl(s.backward(seed))
    out += [f"    g[{i}] = " + (f"a{i} + 0.0;" if plan.active[i] else "0.0;") for i in range(n_in)]
    out += ["    switch (output) {"]
    out += [f"    case {k}: return v{i};" for k, i in enumerate(plan.outputs)]
    out += ["    }", "    return NAN;", "}", ""]
    out += [f"void {prefix}_jvp(const double *x, const double *v, double *out)", "{"]
    out += decl(fwd)
    out += decl(s.tangents(lambda i: f"v[{i}]"))
    out += [f"    out[{k}] = {_output_of(plan, k, 't')};" for k in range(m)]
    out += ["}", ""]
    return "\n".join(out)


def to_source(tape, language="python", output=None):
    """``Tape.to_source``: ``"python"`` (:func:`python_source`), ``"c"`` (:func:`c_source`)
    or ``"numba"`` (:func:`numba_module`, what :meth:`Tape.specialize` compiles)."""
    if language == "python":
        return python_source(tape, output)
    if output is not None:
        tape._output(output)  # checked, though the C and Numba texts hold every output
    if language == "c":
        return c_source(tape)
    if language == "numba":
        return numba_module(tape)
    raise ValueError(f"language must be 'python', 'c' or 'numba', got {language!r}")

