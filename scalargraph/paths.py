"""The chain rule as a sum over paths: a SLOW reference differentiator, and a path counter.

    d u_n / d u_j = sum over every path (j = p_1 -> p_2 -> ... -> p_t = n) of
                    prod_{k=2..t} d u_{p_k} / d u_{p_{k-1}}              (DL book 6.5.6)

:func:`path_gradient` evaluates this formula literally: it walks every input-to-output path
of the tape and adds the product of the local partials along it. The number of paths can
grow exponentially with depth (a ladder of d diamonds has 2^d), so its cost is exponential
where the reverse sweep (:meth:`Tape.gradient`) is linear: backpropagation is the dynamic
program that stores d output / d node once per node instead of recomputing it once per
path. This module exists to measure that difference. **Do not use it to compute
gradients**; use ``tape.gradient``.

:func:`count_paths` counts the paths by the same dynamic program as the reverse sweep
(paths from node i to the output = sum over i's children of their counts), so it is exact
and linear in the tape even when the count has hundreds of digits.

Both walk iteratively (an explicit stack), never by recursion, so a path a million nodes
long is fine. The walk runs in slices of :data:`POPS_PER_CALL` stack pops (about 20 ms
each), so Ctrl-C stops it within a slice, with the same sum as an uninterrupted walk.
"""

import numpy as np

from . import ops, validate
from .kernels import paths as _kernels

# Parent nodes per opcode (a CONST_RIGHT op's arg1 is a constant-pool index, not a parent).
_NODE_ARITY = ops.ARITY_TABLE

# Pops of the path walk per kernel call: about 20 ms (5 ns a pop on a ladder of 25
# diamonds, 2-core test machine); a call's own cost, about 5 us, is 0.03 % of that.
# Ctrl-C takes effect between two calls.
POPS_PER_CALL = 1 << 22


def _output_node(tape, output):
    from .tape import Tape
    if not isinstance(tape, Tape):
        raise TypeError(f"expected a Tape (from sg.compile), got {type(tape).__name__}")
    return int(tape.outputs[validate.output_index(tape, output)])


def count_paths(tape, output=None, per_input=False):
    """Number of input-to-output paths in ``tape``: the number of terms of the path sum.

    Parameters
    ----------
    tape : Tape
    output : int, optional
        Which output; may be omitted when the tape has one.
    per_input : bool
        If True, return a list with the count for each input instead of the total.

    Returns
    -------
    int, or list of int
        Exact (Python ints, as large as needed). A node that uses one parent twice
        (``x * x``) counts as two edges, as the chain rule sums two terms.

    Cost: one reverse pass over the tape, O(n_nodes), in compiled code with int64
    counts; counts past 2^63 are redone in Python integers (about 1 us per node).
    """
    start = _output_node(tape, output)
    counts = np.zeros(tape.n_nodes, dtype=np.int64)
    if _kernels.count_paths_int64(_NODE_ARITY, tape.op, tape.arg0, tape.arg1, start, counts):
        per = [int(c) for c in counts[:tape.n_inputs]]
    else:
        per = _count_paths_python(tape, start)
    return per if per_input else sum(per)


def _count_paths_python(tape, start):
    """``count_paths`` in Python integers, for counts beyond int64."""
    arity = _NODE_ARITY[tape.op].tolist()
    arg0, arg1 = tape.arg0.tolist(), tape.arg1.tolist()
    counts = [0] * tape.n_nodes
    counts[start] = 1
    for i in range(start, -1, -1):
        c = counts[i]
        if c:
            if arity[i] >= 1:
                counts[arg0[i]] += c
            if arity[i] == 2:
                counts[arg1[i]] += c
    return counts[:tape.n_inputs]


def path_gradient(tape, x, output=None, max_paths=10**9):
    """SLOW REFERENCE: the gradient as the sum over every path of the product of partials.

    The literal chain rule of DL book 6.5.6, for measuring what dynamic programming saves:
    the cost is proportional to the number of paths (2^depth on a ladder of diamonds), not
    to the size of the graph. Use :meth:`Tape.gradient` for actual gradients.

    Parameters
    ----------
    tape : Tape
    x : sequence of float, length n_inputs
    output : int, optional
        Which output; may be omitted when the tape has one.
    max_paths : int
        Refuse (ValueError) when the tape has more input-to-output paths than this, since
        walking them could take years; the count is checked first, in linear time.

    Returns
    -------
    ndarray (n_inputs,)
        Equal to ``tape.gradient(x, output)`` up to rounding: the same terms, summed in
        another order.

    Cost: one forward sweep with partials, then O(number of paths x path length) in the
    worst case; each edge of the walk costs a few ns in compiled code. Memory: 16 B per
    node for the partials + 32 B per node for the walk's stack. Ctrl-C stops the walk
    within one slice of :data:`POPS_PER_CALL` pops (about 20 ms).
    Kinks: the local partials are those of the sweeps (relu'(0) = 0, ...), and a zero
    partial ends a path with term 0, as in the sweeps.
    """
    start = _output_node(tape, output)
    x = validate.point(tape, x)
    if isinstance(max_paths, bool) or not isinstance(max_paths, (int, np.integer, float)) \
            or not max_paths >= 0:
        raise TypeError(f"max_paths must be a non-negative number, got {max_paths!r}")
    n_paths = count_paths(tape, output)
    if n_paths > max_paths:
        raise ValueError(f"this tape has {n_paths:.3g} input-to-output paths, more than "
                         f"max_paths={max_paths}: summing over paths would take too long. "
                         "Use tape.gradient(x) (one reverse sweep), or raise max_paths")
    # The local partials from the same linearization the sweeps use: partials[i, s] is
    # d node i / d its parent in slot s (exactly 0.0 where the slot has no parent).
    _, partials = tape.linearize(x)
    grad = np.zeros(tape.n_inputs)
    size = 2 * tape.n_nodes + 1
    stack_node, stack_prod = np.empty(size, dtype=np.int64), np.empty(size)
    stack_node[0], stack_prod[0] = start, 1.0
    state = np.array([1, 0], dtype=np.int64)  # [stack height, terms summed]
    # In slices of POPS_PER_CALL pops, so that Ctrl-C (which Python raises between two
    # kernel calls, never inside one) stops a walk of 10^9 paths within a slice.
    while not _kernels.walk_paths(_NODE_ARITY, tape.op, tape.arg0, tape.arg1, partials,
                                  tape.n_inputs, grad, stack_node, stack_prod, state,
                                  POPS_PER_CALL):
        pass
    return grad
