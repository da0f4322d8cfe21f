"""Readable nodes: ``repr``, ``format`` and ``node.expr()``, and what ``==`` on nodes means.

* ``repr(node)`` names the op and its operands: ``<Node 6: add(x, #4)>`` (a named variable
  by its name, another node by ``#index``, a pool constant by its value).
* ``format(node, ".3f")`` raises a TypeError that says what to do (a node has no value
  until a tape is evaluated); ``format(node)`` and f-strings without a spec give the repr.
* ``node.expr()`` writes the expression of a small graph, e.g. ``sin(x) * (y + 2.0)``.
* ``node == other_node`` is handle identity (the same node of the same graph), which sets,
  dicts and ``in`` need. Its result is an :class:`Identity`: it has a truth value, but
  using it as a number (``(x == y) * 2.0``, ``float(x == y)``) raises, since that is
  almost always a mistake for ``sg.eq(x, y)``, the 0/1 node. ``node == number`` raises.
"""

from . import ops

_INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**",
          "add_const": "+", "mul_const": "*", "div_const": "/", "pow_const": "**"}
_REVERSED = {"rsub_const": "-", "rdiv_const": "/", "rpow_const": "**"}
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 4}
_ATOM = 9


def _label(graph, i):
    """How an operand shows in a repr: a variable's name, or #index."""
    name = graph.names.get(i)
    return name if name is not None and graph.op[i] == ops.INPUT else f"#{i}"


def node_repr(node):
    g, i = node.graph, node.index
    rec = ops.BY_CODE[g.op[i]]
    if rec.kind == ops.INPUT_KIND:
        return f"<Node {i}: var {node.name!r}>"
    if rec.kind == ops.CONST_KIND:
        return f"<Node {i}: const {g.consts[g.arg0[i]]!r}>"
    args = [_label(g, g.arg0[i])]
    if rec.kind == ops.BINARY:
        args.append(_label(g, g.arg1[i]))
    elif rec.kind == ops.CONST_RIGHT:
        args.append(repr(g.consts[g.arg1[i]]))
    return f"<Node {i}: {rec.name}({', '.join(args)})>"


def node_format(node, spec):
    if spec:
        raise TypeError(f"cannot format {node_repr(node)} with {spec!r}: a node has no value "
                        "until it is evaluated. Format the number instead, e.g. "
                        "format(sg.compile(inputs, [node])(x)[0], '.3f'), or print "
                        "node.expr() for its expression")
    return node_repr(node)


def expr(node, max_length=2000):
    """The expression of ``node`` as text, every shared subexpression written out.

    Parameters
    ----------
    max_length : int
        Refuse (ValueError) once the text would exceed this many characters: a deep or
        widely shared graph's expression grows exponentially.

    Cost: one pass over the ancestors, iterative (no recursion); O(text length) memory.
    """
    g = node.graph
    text = {}
    stack = [node.index]
    while stack:  # post-order without recursion
        i = stack[-1]
        if i in text:
            stack.pop()
            continue
        rec = ops.BY_CODE[g.op[i]]
        parents = [g.arg0[i], g.arg1[i]][:rec.arity]
        todo = [p for p in parents if p not in text]
        if todo:
            stack.extend(todo)
            continue
        stack.pop()
        text[i] = _write(g, i, rec, [text[p] for p in parents])
        if len(text[i][0]) > max_length:
            raise ValueError(f"the expression of {node_repr(node)} is longer than "
                             f"{max_length} characters: too large to print (draw it with "
                             "sg.to_dot, or raise max_length)")
    return text[node.index][0]


def _wrap(part, level, strict=False):
    s, p = part
    return f"({s})" if (p < level or (strict and p == level)) else s


def _write(g, i, rec, parts):
    """(text, precedence) of node i from its operands' (text, precedence)."""
    name = rec.name
    if rec.kind == ops.INPUT_KIND:
        label = g.names.get(i)
        return (label if label is not None else f"input{i}"), _ATOM
    if rec.kind == ops.CONST_KIND:
        return repr(g.consts[g.arg0[i]]), _ATOM
    if rec.kind == ops.CONST_RIGHT:
        parts = parts + [(repr(g.consts[g.arg1[i]]), _ATOM)]
    if name == "neg":
        return "-" + _wrap(parts[0], 3), 3
    if name == "square":
        return _wrap(parts[0], _ATOM) + " ** 2", 4
    symbol = _INFIX.get(name) or _REVERSED.get(name)
    if symbol is not None:
        left, right = parts[0], parts[1]
        if name in _REVERSED:
            left, right = right, left
        level = _PRECEDENCE[symbol]
        if symbol == "**":
            return f"{_wrap(left, level, strict=True)} ** {_wrap(right, level)}", level
        return f"{_wrap(left, level)} {symbol} {_wrap(right, level, strict=True)}", level
    return f"{name}({', '.join(s for s, _ in parts)})", _ATOM


class Identity:
    """The result of ``node == node``: whether they are the same node (a truth value only).

    ``if a == b``, sets, dicts and ``in`` work as for any object; arithmetic on it raises,
    because ``(x == y) * 2.0`` is meant as ``sg.eq(x, y) * 2.0``.
    """

    __slots__ = ("same",)

    def __init__(self, same):
        self.same = bool(same)

    def __bool__(self):
        return self.same

    def __repr__(self):
        return repr(self.same)

    def __eq__(self, other):
        return self.same == (other.same if isinstance(other, Identity) else other)

    def __hash__(self):
        return hash(self.same)

    def _refuse(self, *args):
        raise TypeError("`x == y` on nodes tests whether they are the same node (True/False, "
                        "for sets and dicts); it is not a number. For a 0/1 node that "
                        "compares their values use sg.eq(x, y) (or sg.ne, sg.lt ...), and "
                        "sg.where(cond, a, b) to branch")

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _refuse
    __truediv__ = __rtruediv__ = __pow__ = __rpow__ = __neg__ = _refuse
    __float__ = __int__ = __index__ = _refuse
