"""Arrays that nothing can write to again: what the compiled loops trust after one check.

``flags.writeable = False`` is a request, not a lock: NumPy lets the owner of the memory set
it back (``tape.arg0.flags.writeable = True``), and then a write could put an index that the
loops follow out of bounds (Numba does not check bounds). An array whose memory is a
``bytes`` object cannot be made writable again (NumPy refuses, since bytes are immutable)
and no writable object shares that memory. The arrays the kernels trust once checked (a
tape's five arrays, the op tables) are such arrays.

Cost: one copy of the array when it is not frozen already (``sg.compile``: about 5 ns per
tape node, a tenth of its time; its peak memory did not grow, see ``flatten.compile``), no
memory afterwards (the bytes are the array's memory). ``load`` reads straight into bytes.
"""

import numpy as np


def is_frozen(a):
    """Whether nothing can ever write to ``a``'s memory: ``a`` and every array it is a view
    of are read-only, down to a ``bytes`` object (what :func:`frozen` makes, and what
    unpickling an array with pickle protocol 5 gives)."""
    while isinstance(a, np.ndarray):
        if a.flags.writeable:
            return False
        a = a.base
    return type(a) is bytes


def frozen(a, dtype=None):
    """``a`` as a C-contiguous array of ``dtype`` (default: ``a``'s) whose memory is a
    ``bytes`` object: ``a`` itself when it is one already, else a copy."""
    a = np.asarray(a)
    dtype = a.dtype if dtype is None else np.dtype(dtype)
    if a.dtype == dtype and is_frozen(a) and a.flags.c_contiguous:
        return a
    # CPython puts a bytes object's data 32 bytes into a 16-byte aligned block, so the
    # array is aligned (an unaligned one would still be read correctly, by a second compile).
    raw = np.ascontiguousarray(a, dtype=dtype).tobytes()
    return np.frombuffer(raw, dtype=dtype).reshape(a.shape)
