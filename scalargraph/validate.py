"""Argument checks shared by the tape and the modules that evaluate it: nothing unchecked may
reach a kernel (Numba does not check bounds).

``point``, ``points``, ``vector`` and ``output_index`` check what a caller passes to a tape
method; ``tape_arrays`` checks raw tape arrays completely (what ``sg.Tape(...)``, ``load``
and unpickling build a tape from).
"""

import numpy as np

from . import ops
from .graph import Node

_N_OPS = len(ops.OPS)
_KIND_OF = np.array([int(op.kind) for op in ops.OPS], dtype=np.uint8)
_K = ops.Kind


def point(tape, x):
    """``x`` as a float64 array (n_inputs,), C-contiguous and writable (a read-only or
    strided array is copied, so that the kernels compile for one signature only); a scalar
    is accepted for a one-input tape."""
    if not (type(x) is np.ndarray and x.dtype == np.float64 and x.ndim == 1
            and x.flags.c_contiguous and x.flags.writeable):
        x = as_real_array(x, "input values")
        if not x.flags.writeable:  # a read-only array would compile a second signature
            x = x.copy()
        if x.ndim == 0 and tape.n_inputs == 1:  # a scalar for a one-input tape
            x = x.reshape(1)
    if x.ndim != 1 or x.shape[0] != tape.n_inputs:
        raise ValueError(f"expected {tape.n_inputs} input value(s) as a 1-d sequence, "
                         f"got an array of shape {x.shape}" + (
                             "; for a batch of points pass shape (B, 1), e.g. "
                             "x.reshape(-1, 1)" if tape.n_inputs == 1 and x.ndim == 1
                             else ""))
    return x


def points(tape, X):
    """X as a float64 array (B, n_inputs); a 1-d X (or a scalar) is one point: None."""
    if not (type(X) is np.ndarray and X.dtype == np.float64 and X.flags.c_contiguous
            and X.flags.writeable):
        X = as_real_array(X, "input values")
        if not X.flags.writeable:
            X = X.copy()
    if X.ndim == 1 or (X.ndim == 0 and tape.n_inputs == 1):  # a scalar: one point
        return None
    if X.ndim != 2 or X.shape[1] != tape.n_inputs:
        raise ValueError(f"expected {tape.n_inputs} input value(s) per point: a 1-d array "
                         f"(one point) or a 2-d array (points, {tape.n_inputs}), got shape "
                         f"{X.shape}")
    return X


def vector(v, size, what):
    """``v`` as a float64 array (size,); a scalar where one value is expected."""
    v = as_real_array(v, what)
    if v.ndim == 0 and size == 1:
        v = v.reshape(1)
    if v.ndim != 1 or v.shape[0] != size:
        raise ValueError(f"expected {what} of length {size} (1-d), got shape {v.shape}")
    return v


def output_index(tape, output):
    """Which output (an int in 0 .. n_outputs - 1); None is allowed for a one-output tape."""
    if output is None:
        if tape.n_outputs != 1:
            raise ValueError(f"this tape has {tape.n_outputs} outputs: pass output=k to "
                             "choose one, or use jacobian() or vjp()")
        return 0
    if not isinstance(output, (int, np.integer)) or isinstance(output, bool):
        raise TypeError(f"output must be an int index, got {type(output).__name__}")
    if not -tape.n_outputs <= output < tape.n_outputs:
        raise IndexError(f"output {output} is out of range for a tape with "
                         f"{tape.n_outputs} output(s)")
    return int(output) % tape.n_outputs


def as_real_array(x, what):
    """``x`` as a C-contiguous float64 array (a copy where needed), or a TypeError."""
    if isinstance(x, Node):
        raise TypeError(f"{what} must be numbers, got a graph node: evaluate a tape at numbers")
    try:
        a = np.asarray(x)
    except (ValueError, TypeError) as err:
        raise TypeError(f"{what} must be real numbers: {err}") from None
    if a.dtype.kind not in "iuf":
        raise TypeError(f"{what} must be real numbers (int or float), got an array of dtype "
                        f"{a.dtype}" + (" holding graph nodes" if a.dtype == object and any(
                            isinstance(e, Node) for e in a.flat) else ""))
    return np.asarray(a, dtype=np.float64, order="C")  # keeps 0-d as 0-d, for the message


def tape_arrays(op, arg0, arg1, consts, outputs):
    """Check raw tape arrays completely; return them as contiguous arrays of the right dtypes.

    Every opcode known; inputs exactly the nodes 0 .. n_inputs-1 with arg0 = own position;
    every parent index >= 0 and < the node's own index (topological order); constant-pool
    indices in range; unused slots -1; outputs in range. Raises ValueError naming the first
    problem, before any kernel can read an array.
    """
    arrays = {}
    for name, a, dtype in (("op", op, np.uint8), ("arg0", arg0, np.int32),
                           ("arg1", arg1, np.int32), ("consts", consts, np.float64),
                           ("outputs", outputs, np.int32)):
        a = np.asarray(a)
        if a.ndim != 1:
            raise ValueError(f"tape array {name!r} must be 1-d, got shape {a.shape}")
        # Any integer array whose values fit is accepted (a Python list gives int64); bools,
        # strings, objects, complex, and floats for indices are refused.
        if a.dtype != dtype and not (a.size == 0 or a.dtype.kind in ("iuf" if dtype == np.float64
                                                                     else "iu")):
            raise ValueError(f"tape array {name!r} must have dtype {np.dtype(dtype)}, got {a.dtype}")
        if a.dtype.kind in "iu" and a.size and dtype != np.float64:
            info = np.iinfo(dtype)
            if a.min() < info.min or a.max() > info.max:
                raise ValueError(f"tape array {name!r} has values outside {np.dtype(dtype)}")
        # A copy, always: the caller may still hold (a view of) the array it passed, and a
        # write after validation would reach kernels that trust it.
        arrays[name] = np.array(a, dtype=dtype, order="C", copy=True)
    op, arg0, arg1, consts, outputs = (arrays[k] for k in ("op", "arg0", "arg1", "consts", "outputs"))
    n = op.shape[0]
    if arg0.shape[0] != n or arg1.shape[0] != n:
        raise ValueError(f"tape arrays op, arg0, arg1 must have one length, got "
                         f"{n}, {arg0.shape[0]}, {arg1.shape[0]}")
    bad = np.flatnonzero(op >= _N_OPS)
    if bad.size:
        raise ValueError(f"node {bad[0]} has unknown opcode {op[bad[0]]} (known: 0..{_N_OPS - 1})")
    kind = _KIND_OF[op]
    own = np.arange(n)
    n_inputs = int(np.count_nonzero(kind == _K.INPUT))
    if n_inputs and not np.all(kind[:n_inputs] == _K.INPUT):
        raise ValueError(f"input nodes must come first: node {np.flatnonzero(kind == _K.INPUT)[-1]} "
                         f"is an input after a non-input")
    checks = (
        (kind == _K.INPUT, arg0 == own, "an input's arg0 must be its own position"),
        (np.isin(kind, (_K.UNARY, _K.BINARY, _K.CONST_RIGHT)), (arg0 >= 0) & (arg0 < own),
         "arg0 must be a parent index >= 0 and < the node's own index"),
        (kind == _K.BINARY, (arg1 >= 0) & (arg1 < own),
         "arg1 must be a parent index >= 0 and < the node's own index"),
        (kind == _K.CONST, (arg0 >= 0) & (arg0 < consts.shape[0]),
         "a constant's arg0 must index the constant pool"),
        (kind == _K.CONST_RIGHT, (arg1 >= 0) & (arg1 < consts.shape[0]),
         "arg1 must index the constant pool"),
        (np.isin(kind, (_K.INPUT, _K.CONST, _K.UNARY)), arg1 == -1, "an unused arg1 must be -1"),
    )
    for applies, ok, message in checks:
        wrong = np.flatnonzero(applies & ~ok)
        if wrong.size:
            i = wrong[0]
            raise ValueError(f"node {i} ({ops.BY_CODE[int(op[i])].name}, arg0={arg0[i]}, "
                             f"arg1={arg1[i]}): {message}")
    wrong = np.flatnonzero((outputs < 0) | (outputs >= n))
    if wrong.size:
        raise ValueError(f"outputs[{wrong[0]}] = {outputs[wrong[0]]} is not a node index "
                         f"(the tape has {n} nodes)")
    return op, arg0, arg1, consts, outputs
