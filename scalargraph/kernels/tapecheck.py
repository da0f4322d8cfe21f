"""The complete check of raw tape arrays, in one pass and O(1) extra memory.

``scalargraph.validate.tape_arrays`` converts the arrays (dtypes, copies) and then calls
:func:`tape_faults`, which reads each node once and remembers, per rule, the first node
that breaks it; Python then words the first broken rule. The same checks written with
NumPy took a temporary per rule and per operand (masks, kinds, an int64 ``arange``): 2.7
times the tape's own bytes on top of them.

The operand kinds are those of :class:`scalargraph.ops.Kind` (written out here: a kernel
cannot read the enum): INPUT 0, CONST 1, UNARY 2, BINARY 3, CONST_RIGHT 4.
"""

from numba import njit

# The first node breaking each rule, in the order tape_faults returns them (then the first
# output out of range, the number of inputs and the position of the last input).
UNKNOWN_OP, INPUT_ARG0, ARG0_PARENT, ARG1_PARENT, CONST_ARG0, CONST_RIGHT_ARG1, UNUSED_ARG1, \
    OUTPUT, N_INPUTS, LAST_INPUT = range(10)


@njit(cache=True, nogil=True)
def tape_faults(op, arg0, arg1, n_consts, outputs, kind_of):
    """First violation of each tape rule, in one pass over the nodes and the outputs.

    ``op`` uint8, ``arg0`` / ``arg1`` / ``outputs`` int32 (equal lengths checked by the
    caller), ``kind_of`` the operand kind of each known opcode. Returns a tuple of 10 ints
    in the order of the names above: for each node rule the first node breaking it, or
    ``n_nodes`` where none does; the first output out of range, or -1; the number of
    inputs; the position of the last input, or -1. A node with an unknown opcode is checked
    for nothing else.

    Cost: O(n_nodes + n_outputs) time, O(1) memory. (Scalars, not an array, are returned:
    that compiles in 0.3 s rather than 0.5 s.)
    """
    n = op.shape[0]
    n_ops = kind_of.shape[0]
    unknown = input_arg0 = arg0_parent = arg1_parent = const_arg0 = const_right_arg1 = \
        unused_arg1 = n
    n_inputs = 0
    last_input = -1
    for i in range(n):
        code = op[i]
        if code >= n_ops:
            unknown = min(unknown, i)
            continue
        kind = kind_of[code]
        a0 = arg0[i]
        a1 = arg1[i]
        if kind == 0:  # INPUT
            n_inputs += 1
            last_input = i
            if a0 != i:
                input_arg0 = min(input_arg0, i)
        elif kind == 1:  # CONST
            if a0 < 0 or a0 >= n_consts:
                const_arg0 = min(const_arg0, i)
        elif a0 < 0 or a0 >= i:  # UNARY, BINARY, CONST_RIGHT
            arg0_parent = min(arg0_parent, i)
        if kind == 3:  # BINARY
            if a1 < 0 or a1 >= i:
                arg1_parent = min(arg1_parent, i)
        elif kind == 4:  # CONST_RIGHT
            if a1 < 0 or a1 >= n_consts:
                const_right_arg1 = min(const_right_arg1, i)
        elif a1 != -1:  # INPUT, CONST, UNARY
            unused_arg1 = min(unused_arg1, i)
    output = -1
    for j in range(outputs.shape[0]):
        if outputs[j] < 0 or outputs[j] >= n:
            output = j
            break
    return (unknown, input_arg0, arg0_parent, arg1_parent, const_arg0, const_right_arg1,
            unused_arg1, output, n_inputs, last_input)

