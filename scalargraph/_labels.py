"""Node labels in the user's terms, made from the op table: ``x / 3``, ``1 / x``, ``x + 1e-05``.

A tape stores ``div_const`` with the constant 3; the user wrote ``x / 3``. The table's value
rule of each op (``"x / y"``, ``"y / x"``, ``"exp(x)"``) already says how the op reads, so the
label is that rule with ``y`` replaced by the constant (``CONST_RIGHT`` ops) and ``x``, ``y``
by the operands' names. A rule that is not a plain operator or call (``relu``'s conditional)
reads as a call of the op's name, ``relu(x)``. New ops added to the table get labels with no
change here.
"""

import ast
import functools

import numpy as np

from . import ops

_SYMBOL = {ast.Add: "+", ast.Sub: "−", ast.Mult: "×", ast.Div: "/", ast.Pow: "^"}


def fmt(v):
    """A number as a short label: 4 significant digits, integers without a decimal point."""
    v = float(v)
    if v == 0.0:
        return "0"
    if np.isfinite(v) and v == round(v) and abs(v) < 1e6:
        return str(int(v))
    return f"{v:.4g}"


@functools.lru_cache(maxsize=None)
def _shape(code):
    """The op's rule as (kind, parts): ``("bin", (left, symbol, right))``, ``("neg", x)``,
    or ``("call", name)``; left/right are the rule's operand names ``x``/``y`` (or None when
    the operand is not a bare name)."""
    rec = ops.BY_CODE[code]
    tree = ast.parse(rec.value, mode="eval").body
    if isinstance(tree, ast.BinOp) and type(tree.op) in _SYMBOL:
        side = [t.id if isinstance(t, ast.Name) else None for t in (tree.left, tree.right)]
        if None not in side:
            return "bin", (side[0], _SYMBOL[type(tree.op)], side[1])
    if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.USub) and isinstance(tree.operand, ast.Name):
        return "neg", tree.operand.id
    return "call", rec.name


def expression(code, operands, const=None):
    """The node's expression with the given operand names, e.g. ``"g × z"``, ``"x / 3"``.

    ``operands`` names the parent nodes (one or two); ``const`` is the op's constant for a
    ``CONST_RIGHT`` op.
    """
    rec = ops.BY_CODE[code]
    if rec.kind == ops.INPUT_KIND:
        return operands[0] if operands else "input"
    if rec.kind == ops.CONST_KIND:
        return fmt(const)
    names = {"x": operands[0]}
    if rec.kind == ops.BINARY:
        names["y"] = operands[1]
    elif rec.kind == ops.CONST_RIGHT:
        names["y"] = fmt(const)
    kind, parts = _shape(code)
    if kind == "bin":
        left, sym, right = parts
        return f"{names[left]} {sym} {names[right]}"
    if kind == "neg":
        return f"−{names[parts]}"
    args = [names["x"]] + ([names["y"]] if "y" in names else [])
    return f"{parts}({', '.join(args)})"


def op_symbol(code):
    """The op in a few characters: its operator for operators between nodes (``+``, ``×``),
    the rule with ``c`` for the constant (``x + c``, ``c / x``), else its name (``exp``)."""
    rec = ops.BY_CODE[code]
    kind, parts = _shape(code)
    if kind == "bin" and rec.kind == ops.BINARY:
        return parts[1]
    if kind == "bin" and rec.kind == ops.CONST_RIGHT:  # x + c, c / x
        left, sym, right = parts
        return f"{'x' if left == 'x' else 'c'} {sym} {'x' if right == 'x' else 'c'}"
    return rec.name


def box_label(code, const=None):
    """The short label of a box in a picture: ``+``, ``×``, ``exp``, ``x / 3``, ``1 / x``.

    Operators between two nodes show their symbol, functions their name, and ops with a
    constant show the constant where the user wrote it (``x × 0.999``, ``x + 1e-05``).
    """
    rec = ops.BY_CODE[code]
    if rec.kind == ops.CONST_KIND:
        return fmt(const)
    kind, parts = _shape(code)
    if rec.kind == ops.CONST_RIGHT:
        return expression(code, ["x"], const)
    if kind == "bin" and rec.kind == ops.BINARY:
        return parts[1]
    if kind == "neg":
        return "−x"
    return rec.name


def tape_labels(tape, names=None):
    """Box labels and expressions of every tape node, in the user's terms.

    ``names`` maps tape index -> the user's name for a node (``{g: "g"}`` from a caller's
    ``labels``); inputs are named by the tape's input names. Returns ``(heads, exprs)``: the
    box heading (``"g = +"``, ``"x"``, ``"x / 3"``) and the expression over the operands'
    names (``"g = x + y"``) per node. O(n) Python.
    """
    names = dict(names or {})
    op, arg0, arg1, consts = tape.op, tape.arg0, tape.arg1, tape.consts
    n_in = tape.n_inputs
    call_name = [names.get(i) or (tape.input_names[i] if i < n_in else None) for i in range(tape.n_nodes)]
    heads, exprs = [], []
    for i in range(tape.n_nodes):
        code = int(op[i])
        rec = ops.BY_CODE[code]
        const = None
        if rec.kind == ops.CONST_KIND:
            const = consts[arg0[i]]
        elif rec.kind == ops.CONST_RIGHT:
            const = consts[arg1[i]]
        if rec.kind == ops.INPUT_KIND:
            head = call_name[i] or f"input {i}"
            heads.append(head)
            exprs.append(head)
            continue
        operands = [call_name[p] or f"#{p}" for p in (arg0[i], arg1[i])[:rec.arity]]
        head = box_label(code, const)
        text = expression(code, operands, const)
        if i in names:
            head = f"{names[i]} = {head}"
            text = f"{names[i]} = {text}"
        heads.append(head)
        exprs.append(text)
    return heads, exprs
