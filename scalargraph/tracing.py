"""``sg.trace``: a Python function to a tape, on ``n`` scalars or on one array.

The function transforms of :mod:`scalargraph.transforms` trace through the helpers here too.
"""

import inspect

import numpy as np

from .arrays import NodeArray, variables
from .graph import Graph, Node, as_count, var
from .flatten import compile as _compile

__all__ = ["trace"]


def _positional(fn):
    """(required, accepted, star) positional parameter counts of ``fn``; None if unknown."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # builtins and ufuncs may have no signature
        return None
    required = accepted = 0
    star = False
    for p in sig.parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            accepted += 1
            required += p.default is p.empty
        elif p.kind is p.VAR_POSITIONAL:
            star = True
    return required, accepted, star


def _param_names(fn):
    code = getattr(fn, "__code__", None)
    return code.co_varnames[:code.co_argcount] if code is not None else ()


def trace(fn, n_inputs):
    """Run ``fn`` on fresh variables and compile what it returns.

    Two calling conventions, told apart by what ``fn`` accepts:

    * ``fn(x0, x1, ...)`` on ``n_inputs`` scalar nodes, whenever ``fn`` accepts that many
      positional arguments (the original form; always the case for ``n_inputs == 1`` and an
      int ``n_inputs``);
    * ``fn(x)`` on one :class:`~scalargraph.NodeArray` of ``n_inputs`` variables, as JAX users
      write it (``sg.trace(lambda x: x[0] * x[1], 2)``), when ``fn`` takes one argument
      only; or always, when ``n_inputs`` is a shape tuple: ``sg.trace(f, (3,))``,
      ``sg.trace(f, (2, 2))`` (inputs in C order).

    ``fn`` may return one node (or number), a sequence of them, or a NodeArray. Recording
    happens in a new private graph, so the caller's graph is untouched.

    Returns
    -------
    Tape
        Inputs in argument order (C order for an array), named after ``fn``'s parameters
        where it has them (``x0``, ``x1`` ... for an array argument ``x``).

    Raises
    ------
    TypeError
        ``fn`` not callable, or taking neither ``n_inputs`` scalars nor one array.

    Cost: one call of ``fn`` (recording, about 0.3 us per scalar operation, or one NumPy step
    per array operation) + one compile.
    """
    if not callable(fn):
        raise TypeError(f"trace needs a function, got {type(fn).__name__}")
    if isinstance(n_inputs, tuple):
        shape = tuple(as_count(s, "a shape entry") for s in n_inputs)
        as_array = True
    else:
        n = as_count(n_inputs, "n_inputs")
        shape = (n,)
        counts = _positional(fn)
        as_array = False
        if counts is not None and n != 1:
            required, accepted, star = counts
            if not star and accepted < n:
                if required <= 1 and accepted >= 1:
                    as_array = True
                else:
                    raise TypeError(f"trace: {getattr(fn, '__name__', 'fn')} takes {accepted} "
                                    f"positional argument(s); it must take {n} scalars or one "
                                    "array")
    names = _param_names(fn)
    with Graph():
        if as_array:
            xs = variables(int(np.prod(shape)), names[0] if names else "x")
            out = fn(xs.reshape(shape) if shape != (xs.size,) else xs)
            return _compile(xs, _outputs(out)[0])
        xs = [var(names[k] if k < len(names) else f"x{k}") for k in range(shape[0])]
        return _compile(xs, fn(*xs))


def _outputs(out):
    """What a traced function returned, as (list of nodes/numbers, shape)."""
    if type(out) is Node:
        return [out], ()
    if type(out) is NodeArray:
        return out.ravel(), out.shape
    if isinstance(out, (list, tuple, np.ndarray)):
        if any(type(o) is NodeArray for o in (out.flat if isinstance(out, np.ndarray) else out)):
            raise TypeError("the function returned a list holding NodeArrays: return one "
                            "NodeArray, or a flat list of nodes (list(a) + list(b) joins two "
                            "NodeArrays)")
        obj = np.asarray(out, dtype=object)
        return list(obj.ravel()), obj.shape
    if isinstance(out, (int, float, np.integer, np.floating)) and not isinstance(out, bool):
        return [float(out)], ()
    raise TypeError(f"the traced function must return nodes (a Node, NodeArray, or a list of "
                    f"them) or numbers, got {type(out).__name__}")
