"""A tape as straight-line source: Numba (for :mod:`scalargraph.specialize`), Python and C.

Every node becomes one local variable, in the tape's (topological) order, and every
expression is the op table's own rule string (:mod:`scalargraph.ops`) with the operands
put in: the same operations, in the same order, as the interpreter's sweeps
(``scalargraph/kernels/forward.py`` and ``sweeps.py``).

The backward pass is written *pull*-style, one line per node, as the textbooks write it
(Domke's notes, Prince section 7.4): node p's adjoint is the sum over its children c of
``adjoint(c) * d c / d p``, the children taken from the last one back, slot 0 before slot 1.
That is exactly the order in which the interpreter's reverse sweep adds into ``adjoints[p]``,
so the sums round the same way. The derivative rule is the sweeps' (``kernels/reach.py``):
a term whose partial is zero or whose child adjoint no seed reached (``-0.0``) adds
nothing (a select, ``... if ... else -0.0``), even against inf or NaN, and a partial that
is not finite is NaN (``d + (d - d)``). Results are then bit for bit the interpreter's;
the gradient and tangent outputs add ``+0.0``, as the interpreter's read-outs do, so that
what no seed reached comes out as 0.0.

Three renderings:

* :func:`scalargraph.source_numba.numba_module` -- the module that :mod:`scalargraph.specialize` compiles: point
  functions with O(1) shape checks, and row loops for batches;
* :func:`python_source` -- readable Python, forward and backward pass one line per node;
  runs in plain Python (``math``), where Python raises on log(0) and the like;
* :func:`scalargraph.source_c.c_source` -- C99 of the value and gradient with libm calls; compile it with
  ``-ffp-contract=off`` (no fused multiply-adds) for the interpreter's bits.
"""

import ast
import functools
import keyword
import math

from . import ops, validate

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

_MATH = ("cos", "exp", "log", "log1p", "sin", "sqrt", "tan", "tanh")
# math functions the rules of the later ops call (scalargraph/kernels/scalar.py takes floor,
# ceil, trunc and fmod from NumPy, as floats).
_EXTRA_MATH = ("expm1", "log2", "log10", "sinh", "cosh", "asin", "acos", "atan", "asinh",
               "acosh", "atanh", "atan2", "hypot", "erf", "erfc", "copysign")


def literal(c):
    """A float as Python source that reads back to the same bits (inf, -0.0 and the sign of
    a NaN included; not a NaN's payload)."""
    c = float(c)
    if math.isnan(c):  # the sign bit too, which copysign(x, c) reads (Numba folds -nan to nan)
        return "copysign(nan, -1.0)" if math.copysign(1.0, c) < 0 else "nan"
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
        # A constant of the pool as an expression: its literal, or (const_names) the name of a
        # local the rendering assigns it to (see constants()).
        self.const = lambda j: literal(self.consts[j])
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
            return x, self.const(self.arg1[i])
        return x, None

    def value(self, i, name, fill):
        """Node i's value expression (not for inputs), its rule with the operands put in."""
        rec = self.rec[i]
        if rec.kind == ops.Kind.CONST:
            return self.const(self.arg0[i])
        x, y = self._operands(i, name)
        return fill(rec.value, {"x": x, "y": y})

    def const_names(self):
        """Name the pool's constants ``k{j}`` in the expressions where compilers could fold
        them inexactly; returns ``[(j, literal)]``, the named ones, for the rendering to
        assign ``k{j}`` from.

        Compiled renderings (Numba, C) read those constants through a value the compiler
        cannot see into: written as literals, compilers rewrite library calls on them
        (``pow(x, -1.0)`` as ``1.0 / x``, ``pow(8.0, x)`` as ``exp2(3.0 * x)``; GCC folds
        ``log1p(2.0)`` with MPFR, correctly rounded), which gives other bits than the libm
        calls of the interpreter. Named: every constant node (it may feed any op, or a
        subgraph of constants), and an op's own constant where its rules raise to a power or
        call a library function. The rest stay literals (IEEE arithmetic and comparisons on
        them fold exactly; a literal partial saves the derivative rule's select)."""
        named = set()
        for i in range(self.n):
            if not self.live[i]:
                continue
            if self.rec[i].kind == ops.Kind.CONST:
                named.add(self.arg0[i])
            elif self.rec[i].kind == ops.Kind.CONST_RIGHT and _inexact(self.rec[i]):
                named.add(self.arg1[i])
        self.const = lambda j: f"k{j}" if j in named else literal(self.consts[j])
        return [(j, literal(self.consts[j])) for j in sorted(named)]

    def partial(self, i, slot, name, fill):
        """d node i / d parent ``slot`` as an expression (``z`` is node i's own value)."""
        x, y = self._operands(i, name)
        return fill(self.rec[i].partials[slot], {"x": x, "y": y, "z": name(i)})

    def seeds(self, i):
        """Positions k with outputs[k] == i."""
        return [k for k, o in enumerate(self.outputs) if o == i]


# Functions of the rules that compilers fold exactly on constants (comparisons, selects,
# sign and rounding operations): anything else (libm, **) may fold with other bits.
_EXACT_CALLS = {"gt", "lt", "le", "ge", "eq", "ne", "where", "abs", "copysign", "floor", "ceil",
                "trunc", "round", "fmod", "remainder"}


@functools.cache
def _inexact(rec):
    """Whether an op's rules raise to a power or call a function outside _EXACT_CALLS."""
    for rule in (rec.value, *rec.partials):
        for node in ast.walk(ast.parse(rule, mode="eval")):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
                return True
            if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name)
                                                   and node.func.id in _EXACT_CALLS):
                return True
    return False


def _fill_python(rule, names):
    """Substitute operand names into a rule string (Python syntax)."""
    tree = ast.parse(rule, mode="eval")

    class Put(ast.NodeTransformer):
        def visit_Name(self, node):
            if node.id in names:
                return ast.parse(names[node.id], mode="eval").body
            return node

    return ast.unparse(Put().visit(tree))


def _fill_readable(rule, names):
    """``_fill_python`` with ``**`` written ``pow(a, b)``, math's: Python's ``**`` gives a
    complex number for a negative base and a fractional exponent ((-8.0) ** (1/3)), where
    the tape gives NaN; math.pow raises there, as the other math calls do."""
    tree = ast.parse(_fill_python(rule, names), mode="eval")

    class Pow(ast.NodeTransformer):
        def visit_BinOp(self, node):
            self.generic_visit(node)
            if isinstance(node.op, ast.Pow):
                return ast.Call(ast.Name("pow", ast.Load()), [node.left, node.right], [])
            return node

    return ast.unparse(ast.fix_missing_locations(Pow().visit(tree)))


# ---- Numba (what specialize compiles) ---------------------------------------------------
def _select(d, u):
    """The term of the sweeps' rule (``kernels/reach.py``): ``sg_term(d, u)``, or ``-0.0``,
    which adds nothing, where d is 0 (a cut edge). d is a name or a nonzero literal."""
    if _number(d) is not None:
        return f"sg_term({d}, {u})"
    return f"(sg_term({d}, {u}) if {d} != 0.0 else -0.0)"


class _Straight:
    """Straight-line lines of one tape for the renderings that keep the sweeps' derivative
    rule (Numba and C). ``select(d, u)`` writes a term, ``seed(v)`` an input's tangent."""

    def __init__(self, plan, fill, x_ref, select=_select, rules=None, seed=None):
        self.plan, self.fill, self.x_ref, self.select = plan, fill, x_ref, select
        self.seed = seed or (lambda v: f"({v} if {v} != 0.0 else -0.0)")
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
            out.append((f"a{p}", " + ".join(terms) if terms else "-0.0"))
        return out

    def tangents(self, v_ref):
        """``(name, expression)`` per active node, first first: its tangent ``t{i}``."""
        plan, out = self.plan, []
        for i in range(plan.n):
            if not plan.active[i]:
                continue
            if i < plan.n_inputs:
                out.append((f"t{i}", self.seed(v_ref(i))))
                continue
            terms = []
            for s, p in enumerate(plan.parents[i]):
                d = self.dnames.get((i, s))
                if not plan.active[p] or _number(d) == 0.0:
                    continue
                terms.append(self.select(d, f"t{p}"))
            out.append((f"t{i}", " + ".join(terms) if terms else "-0.0"))
        return out


def _output_of(plan, k, prefix, fallback="0.0", normalize=True):
    """The expression for output k's adjoint/tangent-like local (0.0 where inactive)."""
    i = plan.outputs[k]
    if not plan.active[i]:
        return fallback
    return f"{prefix}{i} + 0.0" if normalize else f"{prefix}{i}"


# ---- readable Python ---------------------------------------------------------------------
def _ident(name, fallback):
    return name if isinstance(name, str) and name.isidentifier() and not name.startswith("_") \
        and not keyword.iskeyword(name) and name not in _taken_names() \
        and not (name[:1] in "vg" and name[1:].isdigit()) else fallback


@functools.cache
def _taken_names():
    """Every global name of the generated module (an input named ``erf`` made its calls
    call a float), and Python's builtins; made once, not once per input name."""
    import builtins
    from .kernels import scalar
    return (set(_MATH) | set(_EXTRA_MATH) | set(dir(builtins))
            | {n for n in dir(scalar) if not n.startswith("_")}
            | {"gt", "sigmoid", "softplus", "inputs", "inf", "nan", "value_and_gradient"})


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
    derivative-rule selects here, for readability: at inf or NaN partials the tape's methods
    are the reference). Plain Python math: where the tape gives inf or NaN (log(0), x / 0),
    Python raises.

    Cost: O(n_nodes) Python; about 40 B of text per node and pass.
    """
    k = validate.output_index(tape, output)
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

    lines = ["from math import " + ", ".join(_MATH + ("inf", "nan")),
             # the other functions the table's rules call (erf, where, dsigmoid ...), as the
             # kernels compute them
             "from scalargraph.kernels.scalar import *  # noqa: F401,F403",
             "from math import " + ", ".join(_EXTRA_MATH) + ", pow", "", "", _PY_HELPERS, "",
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
            lines.append(f"    {name(i)} = {plan.value(i, name, _fill_readable)}")
    lines.append("    # backward pass")
    for p in range(plan.n - 1, -1, -1):
        if not (keep[p] and plan.active[p]):
            continue
        terms = ["1.0"] if p == target else []
        for c, s in plan.children[p]:
            if not keep[c]:
                continue
            d = plan.partial(c, s, name, _fill_readable)
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


def to_source(tape, language="python", output=None):
    """``Tape.to_source``: ``"python"`` (:func:`python_source`), ``"c"``
    (:func:`scalargraph.source_c.c_source`) or ``"numba"``
    (:func:`scalargraph.source_numba.numba_module`, what :meth:`Tape.specialize` compiles)."""
    if language == "python":
        return python_source(tape, output)
    if output is not None:
        validate.output_index(tape, output)  # checked, though the C and Numba texts hold every output
    if language == "c":
        from .source_c import c_source
        return c_source(tape)
    if language == "numba":
        from .source_numba import numba_module
        return numba_module(tape)
    raise ValueError(f"language must be 'python', 'c' or 'numba', got {language!r}")

