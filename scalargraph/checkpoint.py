"""Checkpointed gradients: trade one extra forward pass for O(sqrt(n)) sweep memory.

Prince problem 7.11 and Chen et al. (2016), "Training deep nets with sublinear memory
cost": keep values only at checkpoints during the forward pass, and recompute the values
between two checkpoints when the reverse sweep gets there. Here the tape's non-input nodes
are cut into ``k`` segments of consecutive positions; the *boundary* nodes (inputs, and
nodes read by a later segment) are the checkpoints. ``Tape.gradient(x, checkpoints=k)``
calls :func:`gradient`.

Memory model, per call (the plain sweep holds 32 B per node: values 8, partials 16,
adjoints 8):

* one segment at a time, swept as a small tape of its own (its boundary parents, then its
  nodes): 41 B per node of the longest segment plus per boundary parent of the widest
  (values 8, partials 16, adjoints 8, and the segment's opcodes and renamed parent
  indices 9);
* the checkpoints: 16 B per boundary node (its value and its running adjoint);
* the plan, computed once per (tape, k) and cached on the tape: 16 B per boundary parent
  of each segment, 8 B per boundary node, 24 B per segment.

For a chain of n nodes, k = sqrt(n) gives about 57 sqrt(n) bytes against 32 n. A graph
whose early nodes are read all the way to the end (weights used by every layer, say) has
many boundary nodes whatever k is; :func:`plan` reports them.

Time: the plain sweeps plus one values-only forward pass over all segments but the last:
about 1.4 to 1.6 times the plain gradient on a chain (benchmarks/bench_checkpoint.py).

Results equal the plain sweep's bit for bit: each segment is swept by the plain sweep's own
loops, so every value and partial comes from the same operands and every adjoint receives
the same additions in the same order (see ``kernels/checkpoint.py``).
"""

import threading
import weakref

import numpy as np

from . import ops, validate, workmem as _workmem
from .kernels import checkpoint as _ck

_NODE_ARITY = ops.ARITY_TABLE
_PLANS = weakref.WeakKeyDictionary()  # tape -> {k: Plan}
_PLANS_PER_TAPE = 8
_LOCK = threading.Lock()  # tapes may be evaluated from several threads at once


class Plan:
    """Where the segments of a tape start and which nodes are checkpoints, for one k.

    Attributes: ``k`` (segments), ``bounds`` (k + 1 segment starts), ``ext_ptr`` /
    ``ext_nodes`` / ``ext_slot`` (each segment's boundary parents and their checkpoint
    slots), ``keep`` (all boundary nodes, inputs first), ``keep_lo``, ``longest`` (nodes in
    the longest segment), ``widest`` (most boundary parents of a segment).
    """

    def __init__(self, tape, k):
        n, n_in = tape.n_nodes, tape.n_inputs
        self.k = k
        self.bounds = n_in + (np.arange(k + 1, dtype=np.int64) * (n - n_in)) // k
        self.ext_ptr, self.ext_nodes = _ck.plan_segments(tape.op, tape.arg0, tape.arg1,
                                                         _NODE_ARITY, self.bounds)
        self.keep = np.union1d(np.arange(n_in, dtype=np.int64), self.ext_nodes.astype(np.int64))
        self.ext_slot = np.searchsorted(self.keep, self.ext_nodes)
        self.keep_lo = np.searchsorted(self.keep, self.bounds)
        counts = np.diff(self.ext_ptr)
        self.longest = int(np.max(np.diff(self.bounds))) if k else 0
        self.widest = int(counts.max()) if k else 0

    @property
    def nbytes(self):
        """Bytes held by the plan."""
        return sum(a.nbytes for a in (self.bounds, self.ext_ptr, self.ext_nodes, self.ext_slot,
                                      self.keep, self.keep_lo))

    @property
    def work_bytes(self):
        """Work memory of one checkpointed gradient with this plan (the module's model), in
        bytes. Cost: O(1)."""
        return 41 * (self.longest + self.widest) + 16 * self.keep.shape[0]

    def __repr__(self):
        return (f"<Plan: {self.k} segments, {self.keep.shape[0]} checkpoints, longest segment "
                f"{self.longest} nodes, {self.work_bytes} work bytes>")


def plan(tape, checkpoints):
    """The :class:`Plan` for ``checkpoints`` segments: a copy of the one cached on the tape.

    A copy, because the checkpointed sweep trusts the cached plan's arrays (they index the
    tape without bounds checks): what is done to the plan returned here cannot reach it.
    Raises TypeError / ValueError for anything but an int >= 1. More segments than
    non-input nodes are clamped to one node per segment.
    Cost: O(n_nodes) time once per (tape, k); then a dict look-up and the copy (its
    :attr:`Plan.nbytes`).
    """
    validate.require_tape(tape, "checkpoint.plan")
    shared = _cached(tape, checkpoints)
    mine = object.__new__(Plan)
    mine.__dict__.update({k: v.copy() if isinstance(v, np.ndarray) else v
                          for k, v in shared.__dict__.items()})
    return mine


def _cached(tape, checkpoints):
    """The cached :class:`Plan` itself, for :func:`gradient` alone (see :func:`plan`)."""
    if not isinstance(checkpoints, (int, np.integer)) or isinstance(checkpoints, bool):
        raise TypeError(f"checkpoints must be an int (the number of segments), "
                        f"got {type(checkpoints).__name__}")
    if checkpoints < 1:
        raise ValueError(f"checkpoints must be >= 1, got {checkpoints}; use checkpoints=None "
                         "for the plain sweep")
    k = int(min(checkpoints, max(1, tape.n_nodes - tape.n_inputs)))
    with _LOCK:
        found = _PLANS.get(tape, {}).get(k)
    if found is not None:
        return found
    made = Plan(tape, k)
    with _LOCK:
        cache = _PLANS.setdefault(tape, {})
        if k not in cache:
            if len(cache) >= _PLANS_PER_TAPE:
                cache.pop(next(iter(cache)))
            cache[k] = made
        return cache[k]


def checkpoints_for_budget(tape, max_bytes):
    """The fewest segments whose checkpointed gradient fits in ``max_bytes`` of work memory.

    Tries k = 1, 2, 4, ... and sqrt(n) (the optimum for a chain), keeping the smallest k
    whose plan's :attr:`Plan.work_bytes` fits. Fewer segments mean fewer checkpoints and
    less bookkeeping, at the same one extra forward pass.

    Raises ValueError when no k fits, naming the least memory any k needs.
    Cost: one plan per candidate k (O(n_nodes) each, O(n log n) in all).
    """
    validate.require_tape(tape, "checkpoint.checkpoints_for_budget")
    if isinstance(max_bytes, (bool, np.bool_)) or \
            not isinstance(max_bytes, (int, np.integer, float, np.floating)):
        raise TypeError(f"max_bytes must be a number of bytes, got {type(max_bytes).__name__}")
    if not max_bytes > 0:
        raise ValueError(f"max_bytes must be a positive number, got {max_bytes!r}")
    n = max(1, tape.n_nodes - tape.n_inputs)
    candidates = sorted({1 << p for p in range(n.bit_length() + 1) if 1 << p <= n}
                        | {max(1, int(round(n ** 0.5)))})
    best = None
    for k in candidates:
        p = Plan(tape, k)
        if p.work_bytes <= max_bytes:
            return k
        best = p if best is None or p.work_bytes < best.work_bytes else best
    raise ValueError(f"no checkpoint schedule fits in {max_bytes} bytes: the least work "
                     f"memory is {best.work_bytes} bytes, with {best.k} segments")


def gradient(tape, x, output, checkpoints):
    """Reverse-mode gradient of one output, holding values only at checkpoints.

    Parameters
    ----------
    tape : Tape
    x : sequence of float, length n_inputs
    output : int or None
        Which output; None when the tape has one.
    checkpoints : int
        Number of segments k (>= 1); about sqrt(n_nodes) minimizes memory on a chain.

    Returns
    -------
    ndarray (n_inputs,), equal bit for bit to ``tape.gradient(x, output)``.

    Cost: the plain gradient's sweeps + about one forward pass (values only); work memory
    as the module docstring says (O(sqrt n) on a chain for k = sqrt n, against 32 B/node
    for the plain sweep).
    Kinks: as :meth:`Tape.gradient` (the same sweeps, in the same order).
    """
    validate.require_tape(tape, "checkpoint.gradient")
    x = validate.point(tape, x)
    k = validate.output_index(tape, output)
    p = _cached(tape, checkpoints)
    n_in = tape.n_inputs
    seed_at = int(tape.outputs[k])
    keep_adjoints = np.full(p.keep.shape[0], -0.0)  # not reached (kernels/reach.py)
    slot = int(np.searchsorted(p.keep, seed_at))
    if slot < p.keep.shape[0] and p.keep[slot] == seed_at:
        keep_adjoints[slot] = 1.0
        seed_nodes, seed_values = np.empty(0, np.int64), np.empty(0)
    else:
        seed_nodes, seed_values = np.array([seed_at], np.int64), np.ones(1)
    if tape.n_nodes == n_in:
        return keep_adjoints[:n_in] + 0.0
    m = p.longest + p.widest  # a segment as a local tape: its outside parents, then its nodes
    # Work from the tape's kept buffer (scalargraph/workmem.py): the checkpoint values, the
    # segment's values, partials, adjoints (4 m), its opcodes and renamed parents (9 m B).
    # The local tape is written by the kernel and read by the plain sweeps' range kernels
    # through read-only views, the type those kernels are compiled for on a tape's own
    # arrays (writable arrays would compile them a second time: 17 s).
    nk = p.keep.shape[0]
    buf = _workmem.take(tape, nk + 4 * m + (9 * m + 7) // 8 + 1)
    ints = buf[nk + 4 * m:].view(np.uint8)
    local = (ints[8 * m:9 * m], ints[:4 * m].view(np.int32), ints[4 * m:8 * m].view(np.int32))
    views = tuple(a.view() for a in local)
    for v in views:
        v.flags.writeable = False
    _ck.checkpointed_adjoints(
        tape.op, tape.arg0, tape.arg1, tape.consts, x, p.bounds, p.ext_ptr, p.ext_nodes,
        p.ext_slot, p.keep, p.keep_lo, seed_nodes, seed_values, buf[:nk],
        keep_adjoints, *local, *views, buf[nk:nk + m],
        buf[nk + m:nk + 3 * m].reshape(m, 2), buf[nk + 3 * m:nk + 4 * m])
    _workmem.give(tape, buf)
    return keep_adjoints[:n_in] + 0.0  # a new array; -0.0 (not reached) becomes 0.0
