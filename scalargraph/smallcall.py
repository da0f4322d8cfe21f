"""The plain call of a small tape from Python: ``tape(x)``, ``tape.gradient(x)`` and
``tape.value_and_gradient(x)`` on a tape of one output and at most
:data:`scalargraph.workmem.PACKED_NODES` nodes (and ``tape.adjoints(x)``, from the same
kernel's adjoint table).

Where the time of such a call goes (Domke, 7 nodes, 2-core test machine, before this
module): about 0.15 us of sweeps, and 1.1 us of Python and Numba around them: Numba's
dispatcher typing four array arguments (one of them read-only, off its fast path) and
unboxing them, the per-thread work lookup, the checks, the result's allocation. So:

* **One array for the tape.** The packed kernel's int32 arrays, constants and work arrays
  live in one float64 array per tape, the *blob* (layout: ``kernels/smallcall.py``), kept
  with the tape (:attr:`Tape.kept_bytes` counts it, :meth:`Tape.release` drops it). A call
  passes three arrays: the blob, ``x`` and the result, which is a fresh array (the caller's).
* **One blob per tape, not per thread.** The kernels hold the GIL for the whole call
  (they are not ``nogil``), so two threads never run in one blob at once and no Python code
  of this thread runs while it is in use; that saves the per-thread lookup. An interpreter
  without a GIL (a free-threaded build) keeps no blob: each call makes its own.
* **The compiled entry point, not the dispatcher.** The Tape's short path checks in Python
  that ``x`` is exactly what the kernel was compiled for (an ``np.ndarray``, not a
  subclass; dtype float64 in native order; shape ``(n_inputs,)``, hence 1-d; C-contiguous,
  aligned and writable: ``flags.carray``); the blob and the result are the Tape's own
  arrays of that same type. With the argument types known, the call goes to the compiled
  function of that signature (:data:`vg`, :data:`value`) and skips the dispatcher's type
  resolution. Numba's unboxing of an array trusts its type (it does not check the dtype or
  the number of dimensions), so only arguments that passed those checks reach it; anything
  else (a list, a read-only, strided or float32 array, a batch) goes the general way,
  through :mod:`scalargraph.validate` and the dispatcher. The kernels still check every
  length against the blob's header before touching memory.

Same sweeps as ``kernels.packed`` (bit for bit the general path's results, checked by
tests/test_smallcall.py).
"""

import functools
import sysconfig

import numba
import numpy as np
from numba import types

from . import workmem
from .kernels import smallcall as _kernels
from .kernels import sweeps as _sweeps

# A blob per tape is shared by threads only under a GIL (see the module docstring).
SHARED = not sysconfig.get_config_var("Py_GIL_DISABLED")

# The Numba type of a 1-d float64 array that is C-contiguous, aligned and writable (what
# np.empty gives, and what the short paths' checks admit): the entry points' argument type.
F64_ARRAY = types.Array(types.float64, 1, "C")
_SIGNATURE = (F64_ARRAY, F64_ARRAY, F64_ARRAY)

# The compiled functions the short path calls: first a function that calls the dispatcher
# (which compiles the kernel, or loads it from the cache) and then looks up the entry point
# of the signature for three writable float64 C arrays, which replaces it.
def _vg_first(blob, x, gradient):
    v = _kernels.value_and_gradient_packed1(blob, x, gradient)
    _entry_points()
    return v


def _value_first(blob, x, out):
    _kernels.value_packed1(blob, x, out)
    _entry_points()


vg = _vg_first
value = _value_first


def entry_point(dispatcher, signature):
    """The compiled entry point of ``dispatcher`` for ``signature`` (a tuple of Numba
    types): the dispatcher itself if this Numba does not expose entry points, None if that
    signature is not compiled yet. Call it only with arguments of exactly those types."""
    overloads = getattr(dispatcher, "overloads", None)
    if overloads is None:
        return dispatcher
    if signature not in overloads:
        return None
    return getattr(overloads[signature], "entry_point", dispatcher)


def _entry_points():
    """Point :data:`vg` and :data:`value` at the compiled entry points, once compiled."""
    for name, dispatcher in (("vg", _kernels.value_and_gradient_packed1),
                             ("value", _kernels.value_packed1)):
        entry = entry_point(dispatcher, _SIGNATURE)
        if entry is not None:
            globals()[name] = entry


def new_blob(tape):
    """A blob for ``tape`` (``kernels/smallcall.py`` layout), constants in place."""
    ints = workmem.packed_ints(tape)
    words = (ints.shape[0] + 1) // 2
    c, n = tape.consts.shape[0], tape.n_nodes
    blob = np.zeros(words + c + 4 * n + tape.n_inputs)
    blob[:words].view(np.int32)[:ints.shape[0]] = ints
    blob[words:words + c] = tape.consts
    return blob


def _blob(tape):
    blob = tape._blob
    if blob is None:
        blob = new_blob(tape)
        if SHARED:
            tape._blob = blob
    return blob


def value_and_gradient(tape, x, gradient):
    """Value of a small one-output tape at ``x`` (validated: float64, C-contiguous, shape
    (n_inputs,)), its gradient written into ``gradient``; through the dispatcher (any
    alignment), making the tape's blob on first use.

    Cost: the packed kernel, O(n_nodes); the first call on a tape makes its blob
    (about 12 B/node + 8 B per constant + 32 B/node, kept with the tape).
    """
    v = _kernels.value_and_gradient_packed1(_blob(tape), x, gradient)
    if vg is _vg_first:
        _entry_points()
    return v


def values(tape, x):
    """The output value of a small one-output tape at ``x`` (validated), array (1,).

    Cost: as :func:`value_and_gradient` (the same sweeps; the gradient is dropped).
    """
    out = np.empty(1)
    _kernels.value_packed1(_blob(tape), x, out)
    if value is _value_first:
        _entry_points()
    return out


def linearize(tape, x):
    """``Tape.linearize`` of a tape of at most :data:`scalargraph.workmem.PACKED_NODES` nodes
    and at least one output: ``(values, partials)`` from the packed kernel's tables, the
    general path's bits (the same rules), and nothing to compile after a first gradient or
    ``tape(x)`` (the general loop took 3 s of CPU on an empty cache). The arrays are views
    of a blob made for this call, the caller's alone.

    Cost: the packed kernel on a blob of its own (see :func:`adjoints`), O(n_nodes); the
    Domke graph 4 us a call, where the general path took 2 us once compiled: the price of
    compiling one kernel fewer, on calls that inspect a point rather than train.
    """
    values, partials, _ = _own_tables(tape, x)
    return values, partials


def adjoints(tape, x):
    """d output / d node for every node of a small one-output tape at ``x`` (validated),
    array (n_nodes,): the adjoint table the packed kernel fills, ``-0.0`` (not reached)
    read as 0.0. The general path (``forward_partials`` then ``reverse_adjoints``) runs the
    same rules and the same additions in the same order, so the same bits; this one
    compiles nothing after a gradient (the general one compiled its loops: 3.8 s of CPU on
    an empty cache).

    Cost: the packed kernel on a blob of its own (the tape's is shared by threads, which may
    call between the kernel and the copy), O(n_nodes); about 44 B/node while it runs. The
    Domke graph: 4.6 us a call (5.8 on the general path).
    """
    return _own_tables(tape, x)[2] + 0.0


def _own_tables(tape, x):
    """``(values, partials, adjoints)`` of output 0 at ``x``: views of a blob made for this
    call (layout ``[..., values (n), partials (2 n), adjoints (n), scratch (n_in)]``)."""
    blob = new_blob(tape)
    _kernels.value_and_gradient_packed1(blob, x, np.empty(tape.n_inputs))
    n = tape.n_nodes
    end = blob.shape[0] - tape.n_inputs
    return (blob[end - 4 * n:end - 3 * n], blob[end - 3 * n:end - n].reshape(n, 2),
            blob[end - n:end])


def buffer(tape, output):
    """``Tape.buffer``: ``(call, x, gradient)``, CasADi's ``F.buffer()`` model.

    ``x`` (n_inputs,) and ``gradient`` (n_inputs,) are float64 arrays bound once; ``call()``
    takes no arguments, evaluates output ``output`` at the values in ``x``, writes the
    gradient into ``gradient`` and returns the value. Nothing is checked per call, because
    the kernel receives views of its own of the same memory, made here with the type it
    is compiled for: ``x`` and ``gradient`` are other views, so whatever is done to them
    (a new shape, read-only flags) does not reach the kernel. A small one-output tape
    calls the entry point of ``kernels.smallcall.value_and_gradient_buffer`` (two
    arguments: the tape's packed index array and one work array holding x and the
    gradient); any other tape the 11-array kernel through its dispatcher.

    Cost: one value-and-gradient sweep per call, no allocation; holds 16 B per input and
    32 B/node (+ 8 B per constant).
    """
    n = tape.n_inputs
    if tape._small:
        # One array for the kernel: work memory with the gradient and x at its end. The
        # caller's x and gradient are views of ``memory``; the kernel gets ``work``, another
        # view that only ``call`` holds. The index arrays travel apart (read-only, the
        # tape's), so nothing reachable from x or gradient can send the kernel astray.
        ints = workmem.packed_ints(tape)
        end = tape.consts.shape[0] + 4 * tape.n_nodes
        memory = np.zeros(end + 2 * n)
        memory[:tape.consts.shape[0]] = tape.consts
        work = memory[:]
        _kernels.value_and_gradient_buffer(ints, work)  # compile, or load from the cache
        entry = entry_point(_kernels.value_and_gradient_buffer,
                            (numba.typeof(ints), F64_ARRAY))
        call = functools.partial(entry or _kernels.value_and_gradient_buffer, ints, work)
        return call, memory[end + n:end + 2 * n], memory[end:end + n]
    memory = np.zeros(2 * n)
    nn = tape.n_nodes
    call = functools.partial(
        _sweeps.value_and_gradient, tape.op, tape.arg0, tape.arg1, tape.consts,
        tape.outputs, np.int64(output), np.empty(nn), np.empty((nn, 2)), np.empty(nn),
        memory[:n], memory[n:])  # the kernel's views of x and gradient: call's alone
    return call, memory[:n], memory[n:]
