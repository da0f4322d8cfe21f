"""The plain call's fused value-and-gradient kernel on packed arrays (few dispatcher arguments).

Numba's dispatcher types and unboxes every argument of every call: with the eleven arrays
of ``sweeps.value_and_gradient`` that is most of a small tape's plain call (Domke, 7 nodes:
1.5 us for the kernel call, against about 0.1 us for the sweeps). Here the tape's index
arrays travel as one int32 array and the constants with the work arrays as one float64
array, so a call passes five arrays and an int. Layout:

``ints`` int32: ``[n, n_inputs, n_outputs, n_consts, arg0 (n), arg1 (n), outputs (m)]``;
``work`` float64: ``[consts (c), values (n), partials (2 n), adjoints (n)]``.

Same loops (``partials_loop``, ``reverse_loop``, inlined), same operations in the same
order as ``sweeps.value_and_gradient``: the same bits.
"""

import numpy as np
from numba import njit

from .forward import load_inputs, partials_loop
from .sweeps import reverse_loop

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
    partials_loop(op, arg0, arg1, consts, values, partials, n_in, n)
    for i in range(n):
        adjoints[i] = 0.0
    adjoints[seed] = 1.0
    reverse_loop(arg0, arg1, partials, adjoints, 0, n)
    for i in range(n_in):
        gradient[i] = adjoints[i]
    return values[seed]




@njit(cache=True, nogil=True, error_model="numpy")
def value_and_gradient_packed0(ints, work, inputs, gradient):
    """``value_and_gradient_packed`` of output 0: four arguments for the dispatcher."""
    return value_and_gradient_packed(ints, work, 0, inputs, gradient)

