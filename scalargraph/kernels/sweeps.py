"""Op-agnostic Numba sweeps over the local partials: reverse (adjoints) and forward (tangents).

Once ``forward.forward_partials`` has linearized the tape, no sweep needs to know the ops
(CasADi's ``ad_forward`` / ``ad_reverse``): node i has partials ``partials[i, 0]`` and
``partials[i, 1]`` towards its parents ``arg0[i]`` and ``arg1[i]``, and a slot with no
parent has partial exactly 0.0, so it is skipped without looking at the opcode.

The rule of ``reach.py``: a zero partial cuts its edge (so the branch that ``maximum`` or
``relu`` switched off never injects NaN from, say, ``sqrt'(0) = inf``), a derivative no
seed reached is held as ``-0.0`` and adds nothing, and a term that is not finite is NaN;
forward and reverse mode, which group the same path products differently, then agree.
Adjoint and tangent arrays hold the not-reached mark ``-0.0`` on entry wherever nothing
is seeded.

Arrays: ``arg0``/``arg1`` int32[n], ``partials`` float64[n, 2], adjoints/tangents float64[n]
or [n, k] for k seeds/directions at once (k innermost, contiguous).
"""

from numba import njit
from numba import uint32 as _u32
from numba import uint64 as _u64

from .forward import partials_range
from .reach import finite_or_nan, reached, seed, term


@njit(cache=True, inline="always")
def reverse_loop(arg0, arg1, partials, adjoints, start, stop):
    """Adjoints of nodes start .. stop - 1 pushed to their parents, last node first.

    Each node's adjoint is final when it is reached, because every child has a larger
    index; ``+=`` sums over children (the law of total derivatives).
    """
    # Unsigned indices, as in forward.values_range: Numba wraps a negative signed index
    # around (a sign test and an add per access), which LLVM drops only where it can prove
    # the index is not negative: for a loop down to a literal 0, not down to n_inputs.
    # Value and gradient, sweeping down to n_inputs: toy loss 6.23 -> 5.57 ns/node, chain
    # 6.93 -> 6.33, wide sum 6.78 -> 6.33, random DAG 20.4 -> 18.6; same bits.
    # Register forwarding, as in the forward loops: the adjoint that node i sends to node
    # i - 1 (the next one visited) waits in a local, not in memory. Node i is the last child
    # of i - 1 to be visited, so the additions happen in the same order, bit for bit.
    # The local is a carry that every node adds, -0.0 when nothing waits (x + -0.0 is x,
    # bit for bit), not a (node, value) pair to test: a compare, a branch and two moves less
    # per node. Value and gradient (alternating processes, three rounds, ns/node): toy loss
    # 5.70-5.78 -> 5.45-5.57, wide sum of 10^5 inputs 6.35-6.70 -> 5.69-5.94; chain and
    # random DAG within noise; same bits.
    # The terms are reach.term(finite_or_nan(d), s) with s != 0 (d * s), written out; an
    # adjoint that is a reached zero takes its own branch (reach.term's), so the chain of
    # dependent operations stays one multiply and one add per node.
    carry = -0.0  # what node i + 1 sends to node i; -0.0 (adds nothing) when it sends nothing
    i = _u64(stop)
    while i > _u64(start):
        i -= _u64(1)
        s = adjoints[i] + carry
        carry = -0.0
        adjoints[i] = s
        if s == 0.0:
            if reached(s):  # +0.0: its terms are +0.0, or NaN through a non-finite partial
                for slot in range(2):
                    d = partials[i, slot]
                    if d != 0.0:
                        p = _u32(arg0[i]) if slot == 0 else _u32(arg1[i])
                        adjoints[p] += term(finite_or_nan(d), s)
            continue
        d = partials[i, 0]
        if d != 0.0:
            a = _u64(_u32(arg0[i]))
            if a + _u64(1) == i:
                carry = finite_or_nan(d) * s
            else:
                adjoints[a] += finite_or_nan(d) * s
        d = partials[i, 1]
        if d != 0.0:
            b = _u64(_u32(arg1[i]))
            if b + _u64(1) == i:
                if b == _u64(_u32(arg0[i])):  # x * x: the first term lands before the second
                    adjoints[b] += carry
                carry = finite_or_nan(d) * s
            else:
                adjoints[b] += finite_or_nan(d) * s
    if start > 0:
        adjoints[start - 1] += carry


@njit(cache=True, nogil=True)
def reverse_adjoints(arg0, arg1, partials, adjoints):
    """Accumulate adjoints from the seeded ``adjoints`` back to every node (DL book Alg. 6.2).

    ``adjoints`` holds the seed on entry (``-0.0`` where nothing is seeded) and d(seeded
    outputs)/d(node) on exit (``-0.0`` where no seeded path reaches). O(n) time, no work
    memory.
    """
    reverse_loop(arg0, arg1, partials, adjoints, 0, arg0.shape[0])


@njit(cache=True, nogil=True, error_model="numpy")
def value_and_gradient(op, arg0, arg1, consts, outputs, output, values, partials, adjoints,
                       inputs, gradient):
    """Value of output ``output`` at ``inputs``; its gradient written into ``gradient``.

    Work arrays: values float64[n], partials float64[n, 2], adjoints float64[n], all
    overwritten. Callable from user @njit code (see Tape.bind), so it checks in O(1) what a
    caller could get wrong (lengths, the output index, the number of inputs) and raises
    ValueError before touching memory; the tape arrays must come together from one tape
    (``Tape.bind().args``). Same sweeps, same bits as Tape.gradient. Allocates nothing.
    """
    n = op.shape[0]
    n_in = inputs.shape[0]
    if arg0.shape[0] != n or arg1.shape[0] != n or values.shape[0] < n or \
            partials.shape[0] < n or partials.shape[1] != 2 or adjoints.shape[0] < n:
        raise ValueError("value_and_gradient_kernel: tape and work arrays of different "
                         "lengths; pass Tape.bind().args unchanged")
    if output < 0 or output >= outputs.shape[0] or outputs[output] < 0 or outputs[output] >= n:
        raise ValueError("value_and_gradient_kernel: output index out of range")
    # The inputs are the first nodes of a tape: n_in is their number iff node n_in - 1 is an
    # input and node n_in is not.
    if n_in > n or (n_in > 0 and op[n_in - 1] != 0) or (n_in < n and op[n_in] == 0):
        raise ValueError("value_and_gradient_kernel: x does not have one value per input "
                         "of this tape")
    if gradient.shape[0] != n_in:
        raise ValueError("value_and_gradient_kernel: gradient must have one entry per input")
    # Plain loops, not slice assignments: an array-to-array slice copy may allocate a
    # temporary (Numba guards against overlap), and this kernel must not allocate.
    for i in range(n_in):
        values[i] = inputs[i]
    partials_range(op, arg0, arg1, consts, values, partials, n_in, n)
    for i in range(n):
        adjoints[i] = -0.0  # nothing reached yet (reach.py)
    adjoints[outputs[output]] = 1.0
    # The inputs have no parents: the sweep stops above them, and their partials rows are
    # neither written nor read (the wide sum: a quarter of its nodes, 6.80 -> 6.31 ns/node).
    reverse_loop(arg0, arg1, partials, adjoints, n_in, n)
    for i in range(n_in):
        gradient[i] = adjoints[i] + 0.0
    return values[outputs[output]]


@njit(cache=True, nogil=True)
def forward_tangents(n_inputs, arg0, arg1, partials, tangents):
    """Carry tangents from the inputs (``tangents[:n_inputs]``, set on entry) to every node.

    Tangent of node i = sum over parents of partial * parent tangent (Prince problem 7.13);
    an input whose tangent is 0 is not seeded, and a node no seeded input reaches gets
    ``-0.0``. O(n) time, no work memory.
    """
    for i in range(n_inputs):
        tangents[i] = seed(tangents[i])
    for i in range(n_inputs, arg0.shape[0]):
        t = -0.0
        d = partials[i, 0]
        if d != 0.0:
            t += term(finite_or_nan(d), tangents[arg0[i]])
        d = partials[i, 1]
        if d != 0.0:
            t += term(finite_or_nan(d), tangents[arg1[i]])
        tangents[i] = t


@njit(cache=True, nogil=True)
def reverse_adjoints_block(arg0, arg1, partials, adjoints):
    """``reverse_adjoints`` for k seeds at once: ``adjoints`` is float64[n, k]."""
    k = adjoints.shape[1]
    for i in range(arg0.shape[0] - 1, -1, -1):
        for slot in range(2):
            d = partials[i, slot]
            if d == 0.0:
                continue
            a = arg0[i] if slot == 0 else arg1[i]
            pd = finite_or_nan(d)
            # reach.term is selects, not branches, so that the loop over seeds vectorizes;
            # adding the -0.0 of a skipped term leaves every sum's bits as a branch would.
            for j in range(k):
                adjoints[a, j] += term(pd, adjoints[i, j])


@njit(cache=True, nogil=True)
def jacobian_reverse(n_inputs, lo, hi, arg0, arg1, partials, outputs, block, work, jac):
    """Rows lo .. hi - 1 of the reverse-mode Jacobian into ``jac`` (float64[n_outputs,
    n_inputs]): one :func:`reverse_adjoints_block` per block of ``block`` outputs, each seeded
    with 1.0 at its own output, its input rows copied out. ``work`` holds n_nodes * block
    adjoints. The loop over blocks and the copy into ``jac`` are compiled, not NumPy calls
    around a kernel call per block: the Jacobian of the 10-input wide sum 10-12 -> 6.2 us,
    of a 100-output fan-out 34.5 -> 22.5 us (as in ``tiles.jacobian_blocks``).
    """
    n = arg0.shape[0]
    for start in range(lo, hi, block):
        k = min(block, hi - start)
        adjoints = work[:n * k].reshape(n, k)
        for i in range(n):
            for j in range(k):
                adjoints[i, j] = -0.0  # nothing reached yet (reach.py)
        for j in range(k):
            adjoints[outputs[start + j], j] = 1.0
        reverse_adjoints_block(arg0, arg1, partials, adjoints)
        for j in range(k):
            for i in range(n_inputs):
                jac[start + j, i] = adjoints[i, j] + 0.0  # -0.0 (not reached) is 0.0


@njit(cache=True, nogil=True)
def forward_tangents_block(n_inputs, arg0, arg1, partials, tangents):
    """``forward_tangents`` for k directions at once: ``tangents`` is float64[n, k]."""
    k = tangents.shape[1]
    for i in range(n_inputs):
        for j in range(k):
            tangents[i, j] = seed(tangents[i, j])
    for i in range(n_inputs, arg0.shape[0]):
        for j in range(k):
            tangents[i, j] = -0.0
        for slot in range(2):
            d = partials[i, slot]
            if d == 0.0:
                continue
            a = arg0[i] if slot == 0 else arg1[i]
            pd = finite_or_nan(d)
            for j in range(k):  # selects, as in reverse_adjoints_block
                tangents[i, j] += term(pd, tangents[a, j])


@njit(cache=True, nogil=True)
def reverse_adjoints_batch(op, node_arity, arg0, arg1, partials, adjoints):
    """``reverse_adjoints`` at B points at once: partials [n, 2, B], adjoints [n, B].

    ``node_arity[op[i]]`` says how many of node i's slots hold parents (the others may hold
    constant-pool indices, which must never index ``adjoints``). The batch loop is innermost
    and branch-free (a select keeps the rule of ``reach.py``), so it vectorizes.
    """
    n_batch = adjoints.shape[1]
    for i in range(arg0.shape[0] - 1, -1, -1):
        for slot in range(node_arity[op[i]]):
            a = arg0[i] if slot == 0 else arg1[i]
            for j in range(n_batch):
                d = partials[i, slot, j]
                s = adjoints[i, j]
                adjoints[a, j] += term(finite_or_nan(d), s) if d != 0.0 else -0.0
