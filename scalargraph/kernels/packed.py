"""The plain call's fused value-and-gradient kernel on packed arrays (few dispatcher arguments).

Numba's dispatcher types and unboxes every argument of every call: with the eleven arrays
of ``sweeps.value_and_gradient`` that is most of a small tape's plain call (Domke, 7 nodes:
1.5 us for the kernel call, against about 0.1 us for the sweeps). Here the tape's index
arrays travel as one int32 array and the constants with the work arrays as one float64
array, so a call passes five arrays and an int. Layout:

``ints`` int32: ``[n, n_inputs, n_outputs, n_consts, arg0 (n), arg1 (n), outputs (m), op (n)]``;
``work`` float64: ``[consts (c), values (n), partials (2 n), adjoints (n)]``.

The rules of ``forward.partials_range`` (through ``shared``) and ``reverse_loop``, the same
operations in the same order as ``sweeps.value_and_gradient``: the same bits.
"""

import numpy as np
from numba import njit

from . import rules, shared
from .forward import load_inputs
from .sweeps import reverse_loop

_CONST, _UNARY, _BINARY, _CONST_RIGHT = 1, 2, 3, 4  # ops.Kind
_KIND = rules.KIND

HEADER = 4


@njit(cache=True, nogil=True, error_model="numpy")
def value_and_gradient_packed(ints, work, output, inputs, gradient):
    """Value of output ``output`` at ``inputs``; its gradient written into ``gradient``.

    Checks in O(1) that the packed arrays agree with their header and that ``inputs`` and
    ``gradient`` have one entry per input, and raises ValueError before touching memory
    otherwise (the arrays themselves come from ``Tape``, validated when it was made).
    """
    n = np.int64(ints[0])  # int64 for the arithmetic below (reshape wants one integer type)
    n_in = np.int64(ints[1])
    m = np.int64(ints[2])
    c = np.int64(ints[3])
    if n < 0 or m < 0 or c < 0 or n_in < 0 or n_in > n or \
            ints.shape[0] != HEADER + 3 * n + m or work.shape[0] < c + 4 * n:
        raise ValueError("packed tape arrays of different lengths")
    if output < 0 or output >= m:
        raise ValueError("output index out of range")
    if inputs.shape[0] != n_in or gradient.shape[0] != n_in:
        raise ValueError("x and gradient must have one value per input")
    arg0 = ints[HEADER:HEADER + n]
    arg1 = ints[HEADER + n:HEADER + 2 * n]
    op = ints[HEADER + 2 * n + m:HEADER + 3 * n + m]  # int32 opcodes: the same rules
    seed = ints[HEADER + 2 * n + output]
    if seed < 0 or seed >= n:
        raise ValueError("output node out of range")
    consts = work[:c]
    values = work[c:c + n]
    partials = work[c + n:c + 3 * n].reshape((n, 2))
    adjoints = work[c + 3 * n:c + 4 * n]
    load_inputs(inputs, values, partials)
    # The rules through their shared compiled copies (kernels/shared.py), one call a node: an
    # inlined copy of the partials switch costs 12-15 s of compiling with the 72 ops, and on
    # the small tapes this kernel takes (PACKED_NODES) a call is a few ns a node. The same
    # rules as forward.partials_range, so the same bits.
    for i in range(n_in, n):
        o = np.uint8(op[i])  # the opcode type the shared rules are compiled for
        a = arg0[i]
        k = _KIND[o]
        d1 = 0.0
        if k == _UNARY:
            z, d0 = shared.unary_partials(o, values[a])
        elif k == _CONST_RIGHT:
            z, d0 = shared.const_right_partials(o, values[a], consts[arg1[i]])
        elif k == _BINARY:
            z, d0, d1 = shared.binary_partials(o, values[a], values[arg1[i]])
        else:
            z = consts[a]
            d0 = 0.0
        values[i] = z
        partials[i, 0] = d0
        partials[i, 1] = d1
    for i in range(n):
        adjoints[i] = -0.0  # nothing reached yet (reach.py)
    adjoints[seed] = 1.0
    reverse_loop(arg0, arg1, partials, adjoints, n_in, n)  # inputs have no parents
    for i in range(n_in):
        gradient[i] = adjoints[i] + 0.0
    return values[seed]

