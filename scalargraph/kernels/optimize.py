"""Numba kernels of the tape optimizer: constant folding marks, and one rebuild scan that
drops dead nodes (and unused constants) and merges common subexpressions (hash-consing).

Both passes read a tape's arrays as ``sg.compile`` writes them: inputs are nodes
``0 .. n_inputs-1``, every parent has a smaller index than its child, and ``arg0``/``arg1``
hold parent nodes or constant-pool indices as the op's kind says. The op table reaches the
kernels as small lookup arrays indexed by opcode: ``node_arity`` (parents: 0, 1, 2),
``const_slot`` (which argument holds a pool index: 0 none, 1 arg0, 2 arg1) and
``commutative`` (1 where op(x, y) == op(y, x)).

The hash table uses open addressing with linear probing in a power-of-two table at most
half full, so a lookup costs O(1) probes on average and a scan O(n). The hash is keyed by a
per-process random seed and a lookup stops after MAX_PROBES probes, so constants chosen to
collide cannot make the scan quadratic. A slot holds a node
position and 32 bits of its key's hash (8 B); keys are re-read from the arrays being built
only when those bits match, so the table costs 16-32 B per node.

Self-contained on purpose: Numba's on-disk cache does not notice changes in njit functions
imported from other files.
"""

import numpy as np
from numba import njit

# 64-bit mixing constants: the golden ratio and the MurmurHash3 finalizer (fmix64).
_K0 = np.uint64(0x9E3779B97F4A7C15)
_K1 = np.uint64(0xFF51AFD7ED558CCD)
_K2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_HIGH = np.uint64(0xFFFFFFFF00000000)
_LOW = np.uint64(0x00000000FFFFFFFF)


@njit(cache=True, nogil=True)
def _mix(h):
    """MurmurHash3's fmix64: every input bit flips each output bit with probability ~1/2."""
    h ^= h >> _S33
    h *= _K1
    h ^= h >> _S33
    h *= _K2
    h ^= h >> _S33
    return h


@njit(cache=True, nogil=True)
def _hash3(o, a, b, seed):
    """Hash of a node key (opcode, first argument, second argument), all int64, keyed by
    ``seed`` (uint64[2], random per process) so that a file cannot choose keys that collide."""
    h = _mix((np.uint64(o) * _K0 + np.uint64(a)) ^ seed[0])
    return _mix(h ^ (np.uint64(b) + _K0) ^ seed[1])


# Probes after which a node's lookup gives up: the node is kept unmerged and not entered.
# At most half full, a well-spread table needs ~1.5 on average; the cap only matters when
# keys collide on purpose, and it keeps the scan O(n) whatever the keys (the result is then
# still correct, just less merged).
MAX_PROBES = 64


@njit(cache=True, nogil=True)
def _capacity(k):
    """Smallest power of two >= 2k (and >= 2): a table at most half full."""
    cap = 2
    while cap < 2 * k:
        cap *= 2
    return cap


@njit(cache=True, nogil=True)
def mark_foldable(op, arg0, arg1, node_arity, const_op, n_inputs):
    """uint8[n]: 1 for the nodes whose value does not depend on any input.

    A constant is foldable; an input is not; any other node is foldable when all its
    parents are (a constant-pool operand counts as constant). One forward scan, O(n).
    This assumes every op is pure (its value a function of its operands alone), as all
    the ops of the table are.
    """
    n = op.shape[0]
    foldable = np.zeros(n, dtype=np.uint8)
    for i in range(n_inputs, n):
        o = op[i]
        if o == const_op:
            foldable[i] = 1
            continue
        k = node_arity[o]
        if k == 0:
            continue
        f = foldable[arg0[i]]
        if k == 2 and f:
            f = foldable[arg1[i]]
        foldable[i] = f
    return foldable


@njit(cache=True, nogil=True)
def _mark_live(op, arg0, arg1, outputs, n_inputs, node_arity):
    """uint8[n]: 1 for the outputs and their ancestors (inputs not marked unless used)."""
    n = op.shape[0]
    live = np.zeros(n, dtype=np.uint8)
    for o in outputs:
        live[o] = 1
    for i in range(n - 1, n_inputs - 1, -1):
        if live[i]:
            k = node_arity[op[i]]
            if k >= 1:
                live[arg0[i]] = 1
            if k == 2:
                live[arg1[i]] = 1
    return live


@njit(cache=True, nogil=True)
def count_live(op, arg0, arg1, outputs, n_inputs, node_arity):
    """Number of nodes a rebuild keeps: the inputs, the outputs and their ancestors."""
    live = _mark_live(op, arg0, arg1, outputs, n_inputs, node_arity)
    count = n_inputs
    for i in range(n_inputs, op.shape[0]):
        count += live[i]
    return count


# Inlined: a call passing arrays would pay reference counting on every probe.
@njit(cache=True, nogil=True, inline="always")
def _same_node(o, ka, kb, s, t_op, t_arg0, t_arg1, t_bits, slot, swap):
    """True when kept node ``s`` has the key (o, ka, kb); a constant operand's key is its
    64-bit pattern, parents of a commutative op compare as a sorted pair."""
    if t_op[s] != o:
        return False
    if slot == 1:
        return t_bits[t_arg0[s]] == ka
    if slot == 2:
        return t_arg0[s] == ka and t_bits[t_arg1[s]] == kb
    sa = np.int64(t_arg0[s])
    sb = np.int64(t_arg1[s])
    if swap and sb < sa:
        sa, sb = sb, sa
    return sa == ka and sb == kb


@njit(cache=True, nogil=True)
def rebuild(op, arg0, arg1, consts, cbits, outputs, n_inputs, node_arity, const_slot,
            commutative, merge, seed):
    """Rebuild a tape keeping only the outputs' ancestors (and all inputs), in order.

    With ``merge`` true, a node whose key (opcode, new parents, constant operand as its
    64-bit pattern, parents sorted for a commutative op) equals an earlier kept node's is not
    kept: it maps to that node (hash-consing). Bit patterns keep 0.0 and -0.0 apart and let
    NaN match NaN. Input nodes never merge. The constant pool keeps the entries of kept
    nodes, in first-use order. ``cbits`` is ``consts`` viewed as int64.

    ``seed`` (uint64[2]) keys the hash; a lookup gives up after MAX_PROBES probes (the node
    is then kept), so the scan is O(n MAX_PROBES) even for keys chosen to collide.

    Returns ``(t_op, t_arg0, t_arg1, t_consts, t_outputs, new_index, kept, n_live, probes)``:
    ``new_index[i]`` is the new position of old node i (the surviving node's position if it
    merged, -1 if dead); ``kept[j]`` the old node that new node j is; ``n_live`` the number of
    nodes before merging (inputs + live nodes); ``probes`` the occupied slots stepped over in
    all lookups. O(n) time on average.
    """
    n = op.shape[0]
    live = _mark_live(op, arg0, arg1, outputs, n_inputs, node_arity)
    n_live = n_inputs
    for i in range(n_inputs, n):
        n_live += live[i]

    m = consts.shape[0]
    pool_pos = np.full(m, -1, dtype=np.int32)
    t_consts = np.empty(m, dtype=np.float64)
    t_bits = np.empty(m, dtype=np.int64)
    n_pool = 0

    new_index = np.full(n, -1, dtype=np.int32)
    kept = np.empty(n_live, dtype=np.int32)
    t_op = np.empty(n_live, dtype=np.uint8)
    t_arg0 = np.full(n_live, -1, dtype=np.int32)
    t_arg1 = np.full(n_live, -1, dtype=np.int32)
    for p in range(n_inputs):
        new_index[p] = p
        kept[p] = p
        t_op[p] = op[p]
        t_arg0[p] = arg0[p]
    cap = _capacity(n_live - n_inputs) if merge else 2
    # Slot: the key hash's high 32 bits | (node + 1), 0 when empty. Comparing the stored
    # hash first means a probe reads the kept node's arrays only when the key likely matches.
    table = np.zeros(cap, dtype=np.uint64)
    mask = np.uint64(cap - 1)
    count = n_inputs
    probes = 0
    for i in range(n_inputs, n):
        if not live[i]:
            continue
        o = op[i]
        k = node_arity[o]
        slot = const_slot[o]
        a = np.int64(-1)
        b = np.int64(-1)
        if k >= 1:
            a = np.int64(new_index[arg0[i]])
        if k == 2:
            b = np.int64(new_index[arg1[i]])
        if slot == 1:
            a = cbits[arg0[i]]
        elif slot == 2:
            b = cbits[arg1[i]]
        if merge:
            swap = commutative[o] != 0
            ka, kb = (b, a) if swap and b < a else (a, b)
            full = _hash3(np.int64(o), ka, kb, seed)
            tag = full & _HIGH
            h = np.int64(full & mask)
            found = -1
            for _ in range(MAX_PROBES):
                e = table[h]
                if e == 0:
                    table[h] = tag | np.uint64(count + 1)
                    break
                if e & _HIGH == tag:
                    s = np.int64(e & _LOW) - 1
                    if _same_node(o, ka, kb, s, t_op, t_arg0, t_arg1, t_bits, slot, swap):
                        found = s
                        break
                probes += 1
                h = (h + 1) & np.int64(mask)
            if found >= 0:
                new_index[i] = found
                continue
        if slot != 0:
            c = arg0[i] if slot == 1 else arg1[i]
            if pool_pos[c] < 0:
                pool_pos[c] = n_pool
                t_consts[n_pool] = consts[c]
                t_bits[n_pool] = cbits[c]
                n_pool += 1
            if slot == 1:
                a = pool_pos[c]
            else:
                b = pool_pos[c]
        t_op[count] = o
        t_arg0[count] = a
        t_arg1[count] = b
        kept[count] = i
        new_index[i] = count
        count += 1
    t_outputs = np.empty(outputs.shape[0], dtype=np.int32)
    for q in range(outputs.shape[0]):
        t_outputs[q] = new_index[outputs[q]]
    return (t_op[:count].copy(), t_arg0[:count].copy(), t_arg1[:count].copy(),
            t_consts[:n_pool].copy(), t_outputs, new_index, kept[:count].copy(), n_live,
            probes)
