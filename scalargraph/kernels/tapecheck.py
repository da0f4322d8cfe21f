"""The complete check of raw tape arrays, in one pass and O(1) extra memory.

``scalargraph.validate.tape_arrays`` converts the arrays (dtypes, copies) and then calls
:func:`tape_faults`, which reads each node once and remembers, per rule, the first node
that breaks it; Python then words the first broken rule. The same checks written with
NumPy took a temporary per rule and per operand (masks, kinds, an int64 ``arange``): 2.7
times the tape's own bytes on top of them.

The operand kinds are those of :class:`scalargraph.ops.Kind` (written out here: a kernel
cannot read the enum): INPUT 0, CONST 1, UNARY 2, BINARY 3, CONST_RIGHT 4.
"""

import numpy as np
from numba import njit

# Slots of the array tape_faults returns: the first node (or output) breaking each rule,
# -1 where none does; then the number of inputs and the position of the last input.
UNKNOWN_OP, INPUT_ARG0, ARG0_PARENT, ARG1_PARENT, CONST_ARG0, CONST_RIGHT_ARG1, UNUSED_ARG1, \
    OUTPUT, N_INPUTS, LAST_INPUT = range(10)


@njit(cache=True, nogil=True)
def tape_faults(op, arg0, arg1, n_consts, outputs, kind_of):
    """First violation of each tape rule, in one pass over the nodes and the outputs.

    ``op`` uint8, ``arg0`` / ``arg1`` / ``outputs`` int32 (equal lengths checked by the
    caller), ``kind_of`` the operand kind of each known opcode. Returns int64 (10,) indexed
    by the slot names above. A node with an unknown opcode is checked for nothing else.
    Cost: O(n_nodes + n_outputs) time, 80 B.
    """
    found = np.full(10, -1, dtype=np.int64)
    n = op.shape[0]
    n_ops = kind_of.shape[0]
    n_inputs = 0
    for i in range(n):
        code = op[i]
        if code >= n_ops:
            if found[UNKNOWN_OP] < 0:
                found[UNKNOWN_OP] = i
            continue
        kind = kind_of[code]
        a0 = np.int64(arg0[i])
        a1 = np.int64(arg1[i])
        if kind == 0:  # INPUT
            n_inputs += 1
            found[LAST_INPUT] = i
            if a0 != i and found[INPUT_ARG0] < 0:
                found[INPUT_ARG0] = i
        elif kind == 1:  # CONST
            if (a0 < 0 or a0 >= n_consts) and found[CONST_ARG0] < 0:
                found[CONST_ARG0] = i
        elif (a0 < 0 or a0 >= i) and found[ARG0_PARENT] < 0:  # UNARY, BINARY, CONST_RIGHT
            found[ARG0_PARENT] = i
        if kind == 3:  # BINARY
            if (a1 < 0 or a1 >= i) and found[ARG1_PARENT] < 0:
                found[ARG1_PARENT] = i
        elif kind == 4:  # CONST_RIGHT
            if (a1 < 0 or a1 >= n_consts) and found[CONST_RIGHT_ARG1] < 0:
                found[CONST_RIGHT_ARG1] = i
        elif a1 != -1 and found[UNUSED_ARG1] < 0:  # INPUT, CONST, UNARY
            found[UNUSED_ARG1] = i
    found[N_INPUTS] = n_inputs
    for j in range(outputs.shape[0]):
        if outputs[j] < 0 or outputs[j] >= n:
            found[OUTPUT] = j
            break
    return found
