"""Argument checks shared by the tape and the modules that evaluate it: nothing unchecked may
reach a kernel (Numba does not check bounds).

``point``, ``points``, ``vector`` and ``output_index`` check what a caller passes to a tape
method; ``tape_arrays`` checks raw tape arrays completely (what ``sg.Tape(...)``, ``load``
and unpickling build a tape from), in one compiled pass (``kernels/tapecheck.py``).
"""

import numpy as np

from . import ops
from . import kernels as _kernels
from .kernels import tapecheck as _tapecheck
from .frozen import frozen, is_frozen
from .graph import Node

_N_OPS = len(ops.OPS)
assert ops.INPUT == 0  # n_inputs counts the zero opcodes


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
        if tape.n_outputs == 0:  # nothing to choose: "pass output=k" would mislead
            raise ValueError("this tape has 0 outputs, so there is no output to differentiate "
                             "or write: compile it with the nodes you want as outputs")
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


def require_tape(tape, what):
    """Raise TypeError unless ``tape`` is a :class:`~scalargraph.Tape`: the module-level
    functions hand its arrays to kernels that trust a tape's validated arrays, and an
    object that merely has such attributes carries no such promise. Cost: O(1)."""
    from .tape import Tape  # tape imports this module
    if not isinstance(tape, Tape):
        raise TypeError(f"{what} needs a Tape (made by sg.compile), got {type(tape).__name__}")


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


def tape_arrays(op, arg0, arg1, consts, outputs, *, copy=True):
    """Check raw tape arrays completely; return them as contiguous arrays of the right dtypes.

    Every opcode known; inputs exactly the nodes 0 .. n_inputs-1 with arg0 = own position;
    every parent index >= 0 and < the node's own index (topological order); constant-pool
    indices in range; unused slots -1; outputs in range. Raises ValueError naming the first
    problem, before any kernel can read an array.

    An array is copied into a frozen array (:mod:`scalargraph.frozen`) unless nothing can
    ever change it already, or, with ``copy=False`` (for a caller that holds the only
    reference and freezes the arrays next, as :func:`scalargraph.load` does), unless it
    already has its dtype and is C-contiguous.

    Cost: O(n_nodes) time, one pass (``kernels/tapecheck.py``); memory: the copies (9 B per
    node, 8 B per constant, 4 B per output, none where an array is kept) and O(1) beyond.
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
        if (a.dtype.kind in "iu" and a.size and dtype != np.float64
                and not np.can_cast(a.dtype, dtype)):  # min and max make no temporaries
            info = np.iinfo(dtype)
            if a.min() < info.min or a.max() > info.max:
                raise ValueError(f"tape array {name!r} has values outside {np.dtype(dtype)}")
        # A frozen copy, unless no one can write to the array: the caller may still hold (a
        # view of) the array it passed, and a write after validation would reach kernels
        # that trust it.
        keep = (a.dtype == dtype and a.flags.c_contiguous and a.flags.aligned
                and (not copy or is_frozen(a)))
        arrays[name] = a if keep else frozen(a, dtype)
    op, arg0, arg1, consts, outputs = (arrays[k] for k in ("op", "arg0", "arg1", "consts", "outputs"))
    n = op.shape[0]
    if arg0.shape[0] != n or arg1.shape[0] != n:
        raise ValueError(f"tape arrays op, arg0, arg1 must have one length, got "
                         f"{n}, {arg0.shape[0]}, {arg1.shape[0]}")
    # The kernel sees read-only views whatever the arrays' flags, so it compiles once.
    tape_faults = _kernels.small_or_compiled(_tapecheck.tape_faults, n)
    found = tape_faults(*(_read_only(a) for a in (op, arg0, arg1)), consts.shape[0],
                        _read_only(outputs), ops.KIND_TABLE)
    i = found[_tapecheck.UNKNOWN_OP]
    if i < n:
        raise ValueError(f"node {i} has unknown opcode {op[i]} (known: 0..{_N_OPS - 1})")
    n_inputs = found[_tapecheck.N_INPUTS]
    if n_inputs and found[_tapecheck.LAST_INPUT] >= n_inputs:
        raise ValueError(f"input nodes must come first: node {found[_tapecheck.LAST_INPUT]} "
                         f"is an input after a non-input")
    for slot, message in _RULES:
        i = found[slot]
        if i < n:
            raise ValueError(f"node {i} ({ops.BY_CODE[int(op[i])].name}, arg0={arg0[i]}, "
                             f"arg1={arg1[i]}): {message}")
    j = found[_tapecheck.OUTPUT]
    if j >= 0:
        raise ValueError(f"outputs[{j}] = {outputs[j]} is not a node index "
                         f"(the tape has {n} nodes)")
    return op, arg0, arg1, consts, outputs


# The node rules in the order they are reported (the first broken one is named).
_RULES = (
    (_tapecheck.INPUT_ARG0, "an input's arg0 must be its own position"),
    (_tapecheck.ARG0_PARENT, "arg0 must be a parent index >= 0 and < the node's own index"),
    (_tapecheck.ARG1_PARENT, "arg1 must be a parent index >= 0 and < the node's own index"),
    (_tapecheck.CONST_ARG0, "a constant's arg0 must index the constant pool"),
    (_tapecheck.CONST_RIGHT_ARG1, "arg1 must index the constant pool"),
    (_tapecheck.UNUSED_ARG1, "an unused arg1 must be -1"),
)


def record_fault(op, arg0, arg1, n_consts):
    """The first node of a graph's record (copies of its arrays) whose operands a compiled
    loop could not follow, or ``len(op)`` where there is none: an unknown opcode, a parent
    not recorded before its node, a constant-pool index outside the pool. The fields a
    node's kind does not use are not checked (no loop reads them).

    The node rules of :func:`tape_arrays`' kernel, less the two a record does not keep (an
    input's arg0 is -1 there, not its own index; an unused arg1 is not -1 everywhere).
    Cost: O(n_nodes) time, O(1) memory.
    """
    tape_faults = _kernels.small_or_compiled(_tapecheck.tape_faults, op.shape[0])
    found = tape_faults(*(_read_only(a) for a in (op, arg0, arg1)), n_consts, _NO_OUTPUTS,
                        ops.KIND_TABLE)
    return min(found[r] for r in (_tapecheck.UNKNOWN_OP, _tapecheck.ARG0_PARENT,
                                  _tapecheck.ARG1_PARENT, _tapecheck.CONST_ARG0,
                                  _tapecheck.CONST_RIGHT_ARG1))


_NO_OUTPUTS = np.empty(0, dtype=np.int32)
_NO_OUTPUTS.flags.writeable = False


def _read_only(a):
    view = a.view()
    view.flags.writeable = False
    return view


def n_inputs(op):
    """How many nodes of a tape's ``op`` array are inputs (opcode 0); no temporary."""
    return op.shape[0] - int(np.count_nonzero(op))
