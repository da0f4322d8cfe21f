"""The user functions (``sg.exp``, ``sg.maximum`` ...), made from the op table.

Each function takes nodes, plain numbers or NumPy arrays of either:

* a node gives a new node recorded in its graph;
* plain numbers give a plain float, computed by the op's own value rule in IEEE float64
  (constant folding: ``sg.exp(0.0) == 1.0``, ``sg.log(0.0) == -inf``, never an exception);
* an array gives an object array, the function applied elementwise.

Derivatives at kinks follow the lecture notes and Prince ch. 7; each op's ``note`` in
``ops.py`` says what is returned, and is copied into the function's docstring.
"""

import inspect
import math

import numpy as np

from . import ops, _numeric
from .graph import Node, _node, _pool, _record, as_float, foreign_node_error, race_error
from .arrays import NodeArray, elementwise_binary, elementwise_const_right


def _gt(x, y):
    return np.float64(1.0) if x > y else np.float64(0.0)


def _ieee(fn, special):
    """``fn`` from math (the libm the kernels call, so the bits agree), with the IEEE result
    where math raises instead (log(0) = -inf, exp(1000) = inf, sqrt(-1) = nan ...)."""
    def wrapped(x):
        try:
            return np.float64(fn(x))
        except (ValueError, OverflowError):
            return special(x)
    return wrapped


# The value rules evaluated on float64 scalars with the kernels' semantics. NumPy's own exp,
# log, tanh ... use SIMD code whose last bit can differ from libm's, so math is called.
_NUMERIC = {"exp": _ieee(math.exp, np.exp), "log": _ieee(math.log, np.log),
            "sin": _ieee(math.sin, np.sin), "cos": _ieee(math.cos, np.cos),
            "tan": _ieee(math.tan, np.tan), "sqrt": _ieee(math.sqrt, np.sqrt),
            "tanh": _ieee(math.tanh, np.tanh), "abs": abs, "gt": _gt}
_log1p = _ieee(math.log1p, np.log1p)
_exp = _NUMERIC["exp"]


def _sigmoid(x):
    if x >= 0.0:
        return 1.0 / (1.0 + _exp(-x))
    e = _exp(x)
    return e / (1.0 + e)


def _softplus(x):
    return max(x, 0.0) + _log1p(_exp(-abs(x)))


_NUMERIC.update(sigmoid=_sigmoid, softplus=_softplus)

_NUMERIC.update(_numeric.HELPERS)  # the helpers of the ops added after the first release


def _math_names_of_the_rules():
    """Every ``math`` function a rule of the table calls that has no entry above yet: an op
    added to the table folds with the libm its kernels call, without an edit here."""
    import ast
    names = set()
    for op in ops.OPS:
        for rule in (op.value, *op.partials):
            names |= {n.func.id for n in ast.walk(ast.parse(rule, mode="eval"))
                      if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    return sorted(n for n in names - set(_NUMERIC) if hasattr(math, n) and hasattr(np, n))


_NUMERIC.update({n: _ieee(getattr(math, n), getattr(np, n)) for n in _math_names_of_the_rules()})
_VALUE_CODE = {op.code: compile(op.value, f"<{op.name} value>", "eval") for op in ops.OPS}


def fold(code, x, y=0.0):
    """Value of op ``code`` at plain numbers x (and y), as the kernels compute it."""
    with np.errstate(all="ignore"):
        return float(eval(_VALUE_CODE[code], _NUMERIC, {"x": np.float64(x), "y": np.float64(y)}))


def _graph_of(*args):
    graph = None
    for a in args:
        if type(a) is Node:
            if graph is None:
                graph = a.graph
            elif a.graph is not graph:
                raise foreign_node_error(a)
    return graph


def _elementwise(fn, *args):
    shape = np.broadcast_shapes(*(np.shape(a) for a in args))
    arrays = [np.broadcast_to(np.asarray(a, dtype=object), shape) for a in args]
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(shape):
        out[idx] = fn(*(a[idx] for a in arrays))
    return out


def _make_unary(op):
    code = op.code

    def fn(x):
        if type(x) is Node:
            g = x.graph
            i = len(g.op)
            g.op.append(code)
            g.arg0.append(x.index)
            g.arg1.append(-1)
            if len(g.op) != i + 1 or len(g.arg1) != i + 1:
                raise race_error(g)
            return _node(g, i)
        if type(x) is NodeArray:
            return x._unary(code)
        if isinstance(x, (np.ndarray, list, tuple)):
            return _elementwise(fn, x)
        return fold(code, as_float(x))

    return fn


def _make_binary(op):
    code = op.code

    def fn(x, y):
        if type(x) is NodeArray or type(y) is NodeArray:
            return elementwise_binary(code, x, y)
        if isinstance(x, (np.ndarray, list, tuple)) or isinstance(y, (np.ndarray, list, tuple)):
            return _elementwise(fn, x, y)
        graph = _graph_of(x, y)
        if graph is None:
            return fold(code, as_float(x), as_float(y))
        a = x.index if type(x) is Node else _const_node(graph, x)
        b = y.index if type(y) is Node else _const_node(graph, y)
        return _record(graph, code, a, b)

    return fn


def _const_node(graph, value):
    return _record(graph, ops.CONST, _pool(graph, as_float(value)), -1).index


def _make_const_right(op, default, arg="c"):
    code = op.code

    def fn(x, *args, **kwargs):
        # The constant goes by its documented name (``leaky_relu(x, alpha=0.3)``) or position.
        if len(args) > 1 or set(kwargs) - {arg} or (args and kwargs):
            raise TypeError(f"{op.name}() takes x and one constant {arg}={default}, got "
                            f"{1 + len(args)} positional and keywords {sorted(kwargs)}")
        c = args[0] if args else kwargs.get(arg, default)
        if type(x) is NodeArray:
            return elementwise_const_right(code, x, c)
        if isinstance(x, (np.ndarray, list, tuple)):
            return _elementwise(lambda e: fn(e, c), x)
        c = as_float(c)
        if type(x) is Node:
            g = x.graph
            return _record(g, code, x.index, _pool(g, c))
        return fold(code, as_float(x), c)

    fn.__signature__ = inspect.Signature([
        inspect.Parameter("x", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter(arg, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default)])
    return fn


def _docstring(op, signature):
    lines = [f"{signature}: the {op.name!r} operation, z = {op.value}.", ""]
    names = ("x", "y")
    parts = ", ".join(f"dz/d{names[k]} = {p}" for k, p in enumerate(op.partials))
    if parts:
        lines.append(f"Local partials: {parts}.")
    if op.note:
        lines.append(f"Kinks and special values: {op.note}.")
    lines += ["", "Nodes give a node, numbers a float, arrays an object array (elementwise).",
              "Cost: one recorded node (9 B, plus 8 B for a constant operand)."]
    return "\n".join(lines)


# Const-right ops that are user functions: the constant's name and default.
# leaky_relu's 0.1 is the typical alpha of Prince eq. 7.41.
_PUBLIC_CONST_RIGHT = {"leaky_relu": ("alpha", 0.1), "elu": ("alpha", 1.0)}
_HIDDEN = {"input", "const", "add", "sub", "mul", "div", "pow", "neg",
           "select_true", "select_false", "link"}  # sg.where / sg.custom_gradient record these

__all__ = []
for _op in ops.OPS:
    if _op.name in _HIDDEN:
        continue
    if _op.kind == ops.UNARY:
        _fn, _sig = _make_unary(_op), f"{_op.name}(x)"
    elif _op.kind == ops.BINARY:
        _fn, _sig = _make_binary(_op), f"{_op.name}(x, y)"
    elif _op.name in _PUBLIC_CONST_RIGHT:
        _arg, _default = _PUBLIC_CONST_RIGHT[_op.name]
        _fn, _sig = _make_const_right(_op, _default, _arg), f"{_op.name}(x, {_arg}={_default})"
    else:
        continue
    _fn.__name__ = _fn.__qualname__ = _op.name
    _fn.__doc__ = _docstring(_op, _sig)
    globals()[_op.name] = _fn
    __all__.append(_op.name)
    if _op.kind == ops.UNARY:
        # NumPy's object-dtype loops call the element's method of the ufunc's name.
        setattr(Node, _op.name, _fn)

# NumPy ufuncs that may receive a bare Node (e.g. ``np.float64(2) * x``, ``np.exp(x)``).
_UFUNCS = {
    np.add: lambda x, y: x + y, np.subtract: lambda x, y: x - y,
    np.multiply: lambda x, y: x * y, np.true_divide: lambda x, y: x / y,
    np.power: lambda x, y: x ** y, np.negative: lambda x: -x, np.positive: lambda x: x,
    np.absolute: abs, np.square: square,  # noqa: F821
    np.exp: exp, np.log: log, np.sin: sin, np.cos: cos, np.tan: tan,  # noqa: F821
    np.sqrt: sqrt, np.tanh: tanh, np.maximum: maximum, np.minimum: minimum,  # noqa: F821
}


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    rule = _UFUNCS.get(ufunc)
    if method != "__call__" or rule is None or kwargs:
        return NotImplemented
    if any(isinstance(a, np.ndarray) and a.ndim > 0 for a in inputs):
        return _elementwise(rule, *inputs)
    return rule(*(a if type(a) is Node else as_float(a) for a in inputs))


Node.__array_ufunc__ = _array_ufunc
Node.__round__ = Node.__trunc__ = Node.__floor__ = Node.__ceil__ = Node.__float__
Node.__int__ = Node.__complex__ = Node.__float__  # int(x) would otherwise warn, then fall back to __trunc__

del _op, _fn, _sig
