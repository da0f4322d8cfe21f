"""The small-tape plain call from Python: the packed kernel on one float64 array.

Numba's dispatcher types and unboxes every argument of every call (about 40-50 ns each on
the 2-core test machine, more for a read-only one), so the packed kernel's tape arrays and
work arrays travel as one array, a *blob*, and a call passes three: the blob, the point and
the result. Layout, in float64 words:

``[ints (L words), consts (c), values (n), partials (2 n), adjoints (n), scratch (n_in)]``

where ``ints`` is ``kernels.packed``'s int32 array (``[n, n_inputs, n_outputs, n_consts,
arg0, arg1, outputs, opcodes]``, ``4 + 3 n + m`` entries) stored two to a word,
``L = (4 + 3 n + m + 1) // 2``, and the scratch receives the gradient that
:func:`value_packed1` computes and drops. The sweeps are ``packed.value_and_gradient_packed``
itself, called on views of the blob: the same operations in the same order, the same bits.

Not ``nogil``: the kernels hold the GIL for the whole call, so one blob per tape serves every
thread of an interpreter with a GIL (``scalargraph/smallcall.py`` checks that it has one).
"""

import numpy as np
from numba import njit

from .packed import HEADER, value_and_gradient_packed

_HEAD_WORDS = 2  # the four int32 sizes at the front of ints

# These two hold the GIL on purpose (every other kernel releases it, tests/test_io.py): a
# call is a fraction of a microsecond inside a Python call of about three times that, which
# holds the GIL anyway, so releasing it would overlap nothing; holding it lets one blob per
# tape serve every thread (no per-thread lookup: about 80 ns a call) and saves the release
# and the re-acquisition (30-40 ns a call, measured on the 2-core test machine).
HOLDS_THE_GIL = ("value_and_gradient_packed1", "value_packed1", "value_and_gradient_buffer")


@njit(cache=True, error_model="numpy", inline="always")
def _split(blob):
    """``(ints, work, scratch)`` views of a blob, after checking that its header and its
    length agree (O(1); the header comes from a validated tape)."""
    if blob.shape[0] < _HEAD_WORDS:
        raise ValueError("packed blob shorter than its header")
    head = blob[:_HEAD_WORDS].view(np.int32)
    n = np.int64(head[0])
    n_in = np.int64(head[1])
    m = np.int64(head[2])
    c = np.int64(head[3])
    if n < 0 or m < 0 or c < 0 or n_in < 0 or n_in > n:
        raise ValueError("packed blob with a bad header")
    n_ints = HEADER + 3 * n + m
    words = (n_ints + 1) // 2
    end = words + c + 4 * n
    if blob.shape[0] != end + n_in:
        raise ValueError("packed blob of the wrong length")
    return blob[:words].view(np.int32)[:n_ints], blob[words:end], blob[end:end + n_in]


@njit(cache=True, error_model="numpy")
def value_and_gradient_packed1(blob, inputs, gradient):
    """Value of the tape's output 0 at ``inputs``, its gradient written into ``gradient``.

    ``packed.value_and_gradient_packed`` on the blob's views: it checks that ``inputs`` and
    ``gradient`` have one entry per input before touching memory.
    """
    ints, work, _ = _split(blob)
    return value_and_gradient_packed(ints, work, 0, inputs, gradient)


@njit(cache=True, error_model="numpy")
def value_packed1(blob, inputs, out):
    """Value of the tape's output 0 at ``inputs``, written into ``out[0]``.

    The same sweeps as :func:`value_and_gradient_packed1` (a small tape's reverse sweep
    costs a few ns a node), so the value is the same bits; the gradient goes to the
    blob's scratch.
    """
    if out.shape[0] != 1:
        raise ValueError("out must have one entry")
    ints, work, scratch = _split(blob)
    out[0] = value_and_gradient_packed(ints, work, 0, inputs, scratch)


@njit(cache=True, error_model="numpy")
def value_and_gradient_buffer(ints, work):
    """``Tape.buffer``'s call for a small one-output tape: two arguments.

    ``ints`` is ``packed``'s int32 array; ``work`` is ``[consts (c), values (n),
    partials (2 n), adjoints (n), gradient (n_in), x (n_in)]``: the value at ``x`` is
    returned and the gradient written in place. The lengths are checked against the header
    before any memory is touched (in ``value_and_gradient_packed`` too).
    """
    if ints.shape[0] < HEADER:
        raise ValueError("packed tape arrays of different lengths")
    n = np.int64(ints[0])
    n_in = np.int64(ints[1])
    c = np.int64(ints[3])
    if n < 0 or c < 0 or n_in < 0 or n_in > n or work.shape[0] != c + 4 * n + 2 * n_in:
        raise ValueError("packed tape arrays of different lengths")
    end = c + 4 * n
    return value_and_gradient_packed(ints, work[:end], 0, work[end + n_in:end + 2 * n_in],
                                     work[end:end + n_in])
