"""The value-and-gradient kernel that user ``@njit`` code calls (``sg.value_and_gradient_kernel``).

The fused kernel (``sweeps.value_and_gradient``) trusts that its five tape arrays are one
validated tape's: it checks lengths in O(1), not the arrays themselves (O(n)), so arrays of
two tapes mixed, or arrays built by hand, would send it outside its arrays. From Python the
tape passes its own arrays; from user code they come through ``Tape.bind().args``, and this
kernel checks in O(1) that they still are what ``bind`` put together: ``bind`` writes a
seal of the five arrays (their addresses, lengths and strides, mixed) after the last value,
in the slot ``values[n]`` that the sweep never writes, and this kernel recomputes it.
Arrays from two tapes, a copy of one, or a work array not made by ``bind`` do not match,
and the call raises ValueError before any array is read. The strides are in the seal
because a view that starts where a tape array starts, with its length but other strides
(``np.broadcast_to(arg1[:1], arg1.shape)``), matched a seal of addresses and lengths and
was followed out of bounds; the kernel also requires the dtypes ``bind`` gives (another
dtype of the same size matched too). A tape's arrays cannot change
(``scalargraph/frozen.py``) and ``args`` keeps them alive, so the same addresses always
hold the same checked tape.

Cost: about 30 integer operations per call.
"""

import numpy as np
from numba import njit
from numba import uint64 as _u64

from .sweeps import value_and_gradient

_MUL = _u64(0x9E3779B97F4A7C15)  # 2^64 / golden ratio, odd: a multiply mixes every bit up


@njit(cache=True, inline="always")
def _mix(h, word):
    h = (h ^ _u64(word)) * _MUL
    return h ^ (h >> _u64(29))


@njit(cache=True, inline="always")
def _mix_array(h, a):
    """``h`` with one array's address, length and stride mixed in."""
    return _mix(_mix(_mix(h, a.ctypes.data), a.shape[0]), a.strides[0])


@njit(cache=True, nogil=True)
def seal(op, arg0, arg1, consts, outputs):
    """The 64-bit seal of five tape arrays: their addresses, lengths and strides, mixed."""
    h = _mix_array(_u64(0x5CA1A86A), op)
    h = _mix_array(h, arg0)
    h = _mix_array(h, arg1)
    h = _mix_array(h, consts)
    return _mix_array(h, outputs)


@njit(cache=True, inline="always")
def _as_bind_made(op, arg0, arg1, consts, outputs, values, partials, adjoints):
    """Whether the arrays have the dtypes ``bind`` gives (constants of the compiled
    specialization: no work per call). The seal holds addresses, lengths and strides, not
    dtypes, so ``consts.view(np.int64)`` or ``values.view(np.int64)`` matched it and gave
    wrong values."""
    return (op.dtype == np.dtype(np.uint8) and arg0.dtype == np.dtype(np.int32)
            and arg1.dtype == np.dtype(np.int32) and consts.dtype == np.dtype(np.float64)
            and outputs.dtype == np.dtype(np.int32) and values.dtype == np.dtype(np.float64)
            and partials.dtype == np.dtype(np.float64)
            and adjoints.dtype == np.dtype(np.float64))


@njit(cache=True, nogil=True, error_model="numpy")
def value_and_gradient_kernel(op, arg0, arg1, consts, outputs, output, values, partials,
                              adjoints, inputs, gradient):
    """Value of output ``output`` at ``inputs``; its gradient written into ``gradient``.

    Pass the nine arrays of ``Tape.bind().args`` unchanged (they carry the seal this
    checks), then the point and a gradient array: ``kernel(*args, x, g)``. Raises
    ValueError for arrays that are not one tape's as ``bind`` gave them, a point or
    gradient of the wrong length, or an output index out of range, before touching memory.
    Same sweeps, same bits as ``Tape.gradient``; allocates nothing.
    """
    n = op.shape[0]
    if not _as_bind_made(op, arg0, arg1, consts, outputs, values, partials, adjoints) or \
            values.shape[0] <= n or \
            values[n:n + 1].view(np.uint64)[0] != seal(op, arg0, arg1, consts, outputs):
        raise ValueError("value_and_gradient_kernel: these arrays are not one tape's as "
                         "Tape.bind().args gave them; pass the nine arrays of args unchanged")
    return value_and_gradient(op, arg0, arg1, consts, outputs, output, values, partials,
                              adjoints, inputs, gradient)
