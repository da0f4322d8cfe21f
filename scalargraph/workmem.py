"""Work memory that plain calls keep between calls: one buffer per tape and per thread.

A sweep needs work arrays of 8 to 64 B per node (values, partials, adjoints, tangents).
Allocated afresh at every call, large ones come back from the allocator as fresh pages,
and first-touching fresh pages costs more than the sweep itself (a 10^7-node gradient:
57 against 15 ns/node), so the cost of a call would depend on the allocator's history.
So the plain calls (``gradient``, ``value_and_gradient``, ``__call__``, ``values``,
``jvp``, ``vjp``, ``adjoints``, ``tangents``, ``hvp``, ``hessian``, ``jacobian`` and
checkpointed gradients) carve their work arrays from a float64 buffer kept with the tape,
one per thread, as :meth:`Tape.bind` and the batch path (:mod:`scalargraph.batch`) do.

**Policy.** What is kept: per tape and per thread that has called it, one buffer as large
as the largest work any call on that thread needed (32 B/node after a gradient, 64 B/node
after an ``hvp``, 24 B/node plus a block of directions after a ``jacobian``), and for a
small tape (up to :data:`PACKED_NODES` nodes) the packed kernel's work array (32 B/node +
8 B per constant); for a small tape of one output, instead, one array per tape, not per
thread, holding its packed index arrays, constants and work (12 + 32 B/node + 8 B per
constant: :mod:`scalargraph.smallcall`, whose kernels hold the GIL). With the tape itself
(not counted as work, not released): a small tape's packed copy of its opcodes and index
arrays (12 B/node, ``kernels/packed.py``), and the slot maps made at the first call that
needs them, 12 B/node each (three int32 per node): :meth:`Tape.jvp`'s
(``kernels/flatten.allocate_slots``) and the forward-mode Jacobian's
(``kernels/tiles.jacobian_slots``). A call whose work is over :data:`KEEP_BYTES`
(per tape and thread, 1 GiB by default: a 3 * 10^7-node gradient) allocates it for that
call alone and keeps nothing. Results never share memory with the buffer. How to release:
:meth:`Tape.release` frees every thread's buffers of that tape at once; they also go with
the tape, and a thread's with the thread (at the next call on the tape from a new thread).
:attr:`Tape.kept_bytes` says how much is held.

**Threads.** A call takes its thread's buffer out of the tape's table and puts it back when
done, so two threads never share one, and a call re-entered on the same thread (a signal
handler, a callback) gets a buffer of its own: several threads on one tape give the
results a serial run gives. (The packed small-tape kernels leave their arrays in place: see
:func:`packed` and :mod:`scalargraph.smallcall`.)
"""

import threading

import numpy as np

from .frozen import frozen

# Work per tape and thread kept between calls, in bytes; more is allocated per call.
KEEP_BYTES = 1 << 30
# Tapes up to this many nodes take the packed plain-call kernel (kernels/packed.py).
# Above about a hundred nodes the packed kernel's per-node rule calls (kernels/packed.py)
# cost more than the dispatcher time it saves (~1 us a call).
PACKED_NODES = 128

_get_ident = threading.get_ident
_lock = threading.Lock()


def _table(tape):
    table = tape._kept
    if table is None:
        with _lock:
            if tape._kept is None:
                tape._kept = {}
            table = tape._kept
    return table


def take(tape, size):
    """A float64 buffer of at least ``size`` elements for this thread's call on ``tape``.

    Pair with :func:`give`; a buffer not given back (the call raised) is simply dropped.
    """
    table = _table(tape)
    buf = table.pop(_get_ident(), None)
    if buf is None or buf.shape[0] < size:
        if buf is None:
            _prune(table)
        buf = np.empty(size)
    return buf


def give(tape, buf):
    """Keep ``buf`` for this thread's next call on ``tape`` (if within :data:`KEEP_BYTES`)."""
    if buf.nbytes <= KEEP_BYTES:
        table = tape._kept
        if table is not None:
            table[_get_ident()] = buf


def _prune(table):
    """Drop the buffers of threads that have ended (their ids may be reused)."""
    if len(table) > 1:
        alive = {t.ident for t in threading.enumerate()}
        for ident in list(table):
            if ident not in alive:
                table.pop(ident, None)


def packed(tape):
    """``(ints, work)`` for ``kernels.packed`` on this thread: ``ints`` (int32: sizes, arg0,
    arg1, outputs, opcodes) made once per tape, ``work`` (float64: the constants, then
    32 B/node of work) once per thread and kept in ``tape._small_work``.

    Not taken out of the table during a call, unlike :func:`take`: the kernel reads and
    writes ``work`` in one call that no Python code of this thread can interrupt, and the
    caller reads nothing from it afterwards, so a re-entered call on this thread cannot
    spoil a result.
    """
    ints = packed_ints(tape)
    small = tape._small_work
    if small is None:
        with _lock:
            if tape._small_work is None:
                tape._small_work = {}
            small = tape._small_work
    work = small.get(_get_ident())
    if work is None:
        c = tape.consts.shape[0]
        work = np.empty(c + 4 * tape.n_nodes)
        work[:c] = tape.consts
        _prune(small)
        small[_get_ident()] = work
    return ints, work


def packed_ints(tape):
    """The tape's int32 array for ``kernels.packed`` (sizes, arg0, arg1, outputs, opcodes),
    read-only, made once per tape (12 B/node)."""
    ints = tape._ints
    if ints is None:
        # Frozen: the packed kernel trusts it, as it trusts the tape's arrays. The pieces are
        # int32 already, so the concatenation is the one array frozen copies.
        ints = frozen(np.concatenate([
            np.array([tape.n_nodes, tape.n_inputs, tape.n_outputs, tape.consts.shape[0]],
                     dtype=np.int32), tape.arg0, tape.arg1, tape.outputs,
            tape.op.astype(np.int32)]), np.int32)
        tape._ints = ints
    return ints


def kept_bytes(tape):
    """Bytes of work memory ``tape`` keeps now, over all threads."""
    blob = tape._blob  # the small-tape plain call's (scalargraph/smallcall.py)
    return sum(a.nbytes for table in (tape._kept, tape._small_work) if table
               for a in list(table.values())) + (0 if blob is None else blob.nbytes)


def release(tape):
    """Drop every buffer ``tape`` keeps (calls under way keep theirs until they return)."""
    tape._kept = None
    tape._small_work = None
    tape._blob = None
