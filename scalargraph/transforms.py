"""Function transforms: Python functions in, Python functions out (JAX's vocabulary).

``sg.value_and_grad(f)``, ``sg.grad_fn(f)``, ``sg.jacobian_fn(f)`` and ``sg.hessian_fn(f)``
take a function written on arrays, ``f(x)`` with ``x`` an array as JAX users write it (or
``f(a, b, ...)`` on several scalars), and return a function of numbers. The first call with
a given argument layout (the shape of every argument, and the values of the ``static_argnums``)
*traces* ``f``: it runs ``f`` once on fresh variables (a :class:`~scalargraph.NodeArray` for an
array argument, a :class:`~scalargraph.Node` for a scalar), compiles what it returns to a
:class:`~scalargraph.Tape`, and keeps the tape; later calls with the same layout only evaluate
the tape. A call with a new layout traces again, and says so on the ``scalargraph.transforms``
logger (INFO level); ``transformed.traces`` counts the traces.

Arguments not in ``argnums`` are *data*: they are inputs of the tape (its last ``n_data``
inputs), so new data values do not re-trace, but no derivative is taken with respect to them.
``static_argnums`` are passed to ``f`` as they are (flags, sizes, anything hashable) and are
part of the layout, so each new value traces again.

Naming rule: ``sg.*`` functions take and return nodes, ``Tape`` methods take and return
numbers, and the transforms here take and return Python callables. ``grad_fn`` is not called
``grad`` because ``sg.grad(y, wrt)`` already writes a derivative as graph nodes.

``sg.trace`` (a function of ``n`` scalars, or of one array, to a tape) is in
:mod:`scalargraph.tracing`.
"""

import logging
import threading

import numpy as np

from .arrays import NodeArray, variables
from .graph import Graph, Node, var
from .flatten import compile as _compile
from .tracing import _outputs, _param_names, trace  # noqa: F401  (trace: sg.trace)

log = logging.getLogger("scalargraph.transforms")

__all__ = ["value_and_grad", "grad_fn", "jacobian_fn", "hessian_fn", "Transformed"]


# ---- transforms ---------------------------------------------------------------------------
class _Layout:
    """One trace: the tape and where each argument sits among its inputs."""

    __slots__ = ("tape", "diff", "data", "out_shape", "n_params", "single", "scalar")

    def __init__(self, tape, diff, data, out_shape, n_params):
        self.tape, self.diff, self.data = tape, diff, data  # [(argnum, start, stop, shape)]
        self.out_shape, self.n_params = out_shape, n_params
        # one differentiated argument and no data: the tape's inputs are that argument raveled
        self.single = len(diff) == 1 and not data
        self.scalar = out_shape in ((), (1,))


def _as_argnums(argnums, what="argnums"):
    if isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool):
        found, many = (int(argnums),), False
    elif isinstance(argnums, (tuple, list)) and all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in argnums):
        if len(set(argnums)) != len(argnums):
            raise ValueError(f"{what} repeats an argument: {argnums!r}")
        found, many = tuple(int(a) for a in argnums), True
    else:
        raise TypeError(f"{what} must be an int or a tuple of ints, got {argnums!r}")
    if any(a < 0 for a in found):  # the number of arguments is known only at the call
        raise ValueError(f"{what} must be argument positions >= 0, got {argnums!r}")
    return found, many


def _static_key(a):
    """A static argument as part of a trace's key: equal keys must trace ``fun`` alike.

    Python's equality merges values that a function can tell apart: 0.0 == -0.0 (copysign,
    1 / s), 1 == 1.0 == True (``is True``, isinstance), and a NaN equals nothing, so it
    would trace again at every call. So a key holds the type, and a float its bits.
    """
    if isinstance(a, (float, np.floating)):
        return type(a), np.float64(a).tobytes() if type(a) is float else a.tobytes()
    if isinstance(a, complex):
        return complex, _static_key(a.real), _static_key(a.imag)
    if type(a) in (tuple, frozenset):
        items = a if type(a) is tuple else sorted(a, key=repr)
        return type(a), tuple(_static_key(e) for e in items)
    return type(a), a


class Transformed:
    """A transformed function: call it on numbers (arrays, floats); see the module docstring.

    Attributes
    ----------
    traces : int
        How many times ``fun`` was traced (one per argument layout seen).
    fun : callable
        The function transformed.
    """

    def __init__(self, fun, kind, argnums, static_argnums):
        if not callable(fun):
            raise TypeError(f"{kind} needs a function, got {type(fun).__name__}")
        self.fun, self.kind = fun, kind
        self.argnums, self._many = _as_argnums(argnums)
        self.static_argnums = _as_argnums(static_argnums, "static_argnums")[0] \
            if static_argnums != () else ()
        clash = set(self.argnums) & set(self.static_argnums)
        if clash:
            raise ValueError(f"argument(s) {sorted(clash)} cannot be both differentiated "
                             "(argnums) and static (static_argnums)")
        self._cache = {}
        self._lock = threading.Lock()
        self.traces = 0
        self.__name__ = f"{kind}({getattr(fun, '__name__', 'f')})"
        self.__doc__ = f"{kind} of {getattr(fun, '__qualname__', fun)!r}: see scalargraph.transforms."

    def __repr__(self):
        return f"<{self.__name__}, argnums={self.argnums if self._many else self.argnums[0]}, " \
               f"{self.traces} trace(s)>"

    # ---- layout and tracing -----------------------------------------------------------------
    def _arrays(self, args):
        if len(args) <= max(self.argnums):
            raise TypeError(f"{self.__name__} differentiates argument {max(self.argnums)}, but "
                            f"was called with {len(args)} argument(s)")
        arrays, key = [], []
        for k, a in enumerate(args):
            if k in self.static_argnums:
                try:
                    hash(a)
                except TypeError:
                    raise TypeError(f"static argument {k} must be hashable (it is part of the "
                                    f"trace's key), got {type(a).__name__}") from None
                arrays.append(a)
                key.append(("static", _static_key(a)))
                continue
            if isinstance(a, (Node, NodeArray)):
                raise TypeError(f"argument {k} is a graph node: transformed functions take "
                                "numbers; to work on nodes, call the original function")
            if type(a) is np.ndarray and a.dtype == np.float64:
                arr = a
            else:
                arr = np.asarray(a)
                if arr.dtype.kind not in "iuf":
                    hint = (" (mark it static with static_argnums)" if arr.dtype.kind in "OUSb"
                            else "")
                    raise TypeError(f"argument {k} must be real numbers, got dtype "
                                    f"{arr.dtype}{hint}")
                arr = arr.astype(np.float64)
            arrays.append(arr)
            key.append(arr.shape)
        return arrays, tuple(key)

    def _trace(self, args, arrays, key):
        names = _param_names(self.fun)
        diff, data = [], []
        with Graph():
            traced = list(args)
            param_vars, data_vars = [], []
            for k in sorted(range(len(arrays)), key=lambda k: (k not in self.argnums,
                                                               self.argnums.index(k)
                                                               if k in self.argnums else k)):
                if k in self.static_argnums:
                    continue
                shape = arrays[k].shape
                name = names[k] if k < len(names) else f"arg{k}"
                if shape == ():
                    node = var(name)
                    flat = [node]
                else:
                    node = variables(arrays[k].size, name).reshape(shape)
                    flat = [node.ravel()]
                traced[k] = node
                into = param_vars if k in self.argnums else data_vars
                start = sum(np.size(v.indices) if type(v) is NodeArray else 1 for v in into)
                into.extend(flat)
                entry = (k, start, start + arrays[k].size, shape)
                (diff if k in self.argnums else data).append(entry)
            out, out_shape = _outputs(self.fun(*traced))
            tape = _compile(param_vars, out, data=data_vars)
        n_params = sum(e[2] - e[1] for e in diff)
        data = [(k, s + n_params, e + n_params, shape) for k, s, e, shape in data]
        layout = _Layout(tape, diff, data, out_shape, n_params)
        with self._lock:
            self.traces += 1
            layout = self._cache.setdefault(key, layout)
        log.info("%s: traced %s for argument layout %s (trace %d): %d nodes",
                 self.__name__, getattr(self.fun, "__qualname__", self.fun), key, self.traces,
                 tape.n_nodes)
        return layout

    def _layout(self, args):
        if len(args) == 1 and not self.static_argnums:  # the common f(x): no conversion
            a = args[0]
            if type(a) is np.ndarray and a.dtype == np.float64:
                layout = self._cache.get((a.shape,))
                if layout is not None:
                    return layout, a.reshape(-1)
        arrays, key = self._arrays(args)
        layout = self._cache.get(key)
        if layout is None:
            layout = self._trace(args, arrays, key)
        if layout.single:
            return layout, arrays[self.argnums[0]].reshape(-1)
        x = np.empty(layout.tape.n_inputs)
        for k, s, e, _ in layout.diff + layout.data:
            x[s:e] = arrays[k].reshape(-1)
        return layout, x

    def tape_for(self, *args):
        """The tape traced for these arguments' layout (traced now if it is new).

        Its inputs are the differentiated arguments raveled in ``argnums`` order, then the
        data arguments in argument order (its last ``n_data`` inputs).
        Cost: as one call, without the evaluation.
        """
        return self._layout(args)[0].tape

    # ---- results ----------------------------------------------------------------------------
    def _split(self, layout, flat, lead=()):
        """Per differentiated argument, the columns s:e of ``flat`` reshaped to lead + shape."""
        if layout.single and not self._many and not lead:
            shape = layout.diff[0][3]
            if flat.shape == shape:
                return flat
            part = flat.reshape(shape)
            return part[()] if part.ndim == 0 else part
        parts = []
        for _, s, e, shape in layout.diff:
            part = flat[..., s:e].reshape(lead + shape)
            parts.append(part[()] if part.ndim == 0 else part)
        return tuple(parts) if self._many else parts[0]

    def _scalar_output(self, layout):
        if not layout.scalar:
            raise ValueError(f"{self.__name__} needs a function with one scalar output, but it "
                             f"returned shape {layout.out_shape}: use sg.jacobian_fn for "
                             "vector outputs")


class _ValueAndGrad(Transformed):
    def __call__(self, *args):
        layout, x = self._layout(args)
        if not layout.scalar:
            self._scalar_output(layout)
        value, g = layout.tape.value_and_gradient(x)
        return value, self._split(layout, g)


class _Grad(Transformed):
    def __call__(self, *args):
        layout, x = self._layout(args)
        self._scalar_output(layout)
        return self._split(layout, layout.tape.gradient(x))


class _Jacobian(Transformed):
    def __call__(self, *args):
        layout, x = self._layout(args)
        jac = layout.tape.jacobian(x)
        return self._split(layout, jac, layout.out_shape)


class _Hessian(Transformed):
    def __call__(self, *args):
        layout, x = self._layout(args)
        self._scalar_output(layout)
        tape, n_p = layout.tape, layout.n_params
        if tape.n_data == 0:
            hess = tape.hessian(x)
        else:  # only the parameters' columns: one product per parameter
            hess = np.empty((n_p, n_p))
            e = np.zeros(tape.n_inputs)
            for j in range(n_p):
                e[j] = 1.0
                hess[:, j] = tape.hvp(x, e)[:n_p]  # column j is H e_j, as tape.hessian's
                e[j] = 0.0
        if not self._many:
            _, s, e, shape = layout.diff[0]
            block = hess[s:e, s:e].reshape(shape + shape)
            return block[()] if block.ndim == 0 else block
        rows = []
        for _, si, ei, shape_i in layout.diff:
            row = []
            for _, sj, ej, shape_j in layout.diff:
                block = hess[si:ei, sj:ej].reshape(shape_i + shape_j)
                row.append(block[()] if block.ndim == 0 else block)
            rows.append(tuple(row))
        return tuple(rows)


_DOC = """{summary}

    Parameters
    ----------
    fun : callable
        A function of arrays and scalars written with scalargraph operations (``+ - * / **``,
        ``sg.sin``, ``sg.sum``, ``np.tanh`` on node arrays ...), as ``f(x)`` on an array or
        ``f(a, b, ...)`` on several arguments.
    argnums : int or tuple of int, default 0
        Which positional arguments to differentiate; with a tuple the result holds one entry
        per argument, in that order. The other (non-static) arguments are data: inputs of the
        tape that are not differentiated.
    static_argnums : int or tuple of int, optional
        Arguments passed to ``fun`` unchanged (hashable); each new value traces again.

    Returns
    -------
    callable
        {returns} It has ``.traces`` (how often ``fun`` was traced) and ``.tape_for(*args)``
        (the compiled tape).

    Cost: the first call per argument layout traces ``fun`` (its Python run, recording, one
    compile); later calls {cost}, plus a few microseconds of Python (argument conversion, one
    dict look-up).
"""


def value_and_grad(fun, argnums=0, static_argnums=()):
    return _ValueAndGrad(fun, "value_and_grad", argnums, static_argnums)


def grad_fn(fun, argnums=0, static_argnums=()):
    return _Grad(fun, "grad_fn", argnums, static_argnums)


def jacobian_fn(fun, argnums=0, static_argnums=()):
    return _Jacobian(fun, "jacobian_fn", argnums, static_argnums)


def hessian_fn(fun, argnums=0, static_argnums=()):
    return _Hessian(fun, "hessian_fn", argnums, static_argnums)


value_and_grad.__doc__ = _DOC.format(
    summary="``fun`` -> a function returning ``(value, gradient)`` (JAX's value_and_grad).",
    returns="``g(*args) -> (float, gradient)``, the gradient shaped like the argument (a tuple "
            "of them for a tuple ``argnums``). ``fun`` must return one scalar.",
    cost="cost one fused forward + reverse sweep (Tape.value_and_gradient)")
grad_fn.__doc__ = _DOC.format(
    summary="``fun`` -> its gradient function (JAX's grad; ``sg.grad`` is the graph version).",
    returns="``g(*args) -> gradient`` shaped like the argument (a tuple for a tuple "
            "``argnums``). ``fun`` must return one scalar.",
    cost="cost one forward + reverse sweep (Tape.gradient)")
jacobian_fn.__doc__ = _DOC.format(
    summary="``fun`` -> its Jacobian function (JAX's jacobian).",
    returns="``J(*args)`` of shape ``out.shape + arg.shape`` (a tuple for a tuple "
            "``argnums``).",
    cost="cost Tape.jacobian: forward or reverse blocks, whichever is cheaper")
hessian_fn.__doc__ = _DOC.format(
    summary="``fun`` -> its Hessian function (JAX's hessian).",
    returns="``H(*args)`` of shape ``arg.shape + arg.shape`` (nested tuples ``H[i][j]`` for a "
            "tuple ``argnums``). ``fun`` must return one scalar.",
    cost="cost one Hessian-vector product per differentiated scalar (Tape.hessian)")
