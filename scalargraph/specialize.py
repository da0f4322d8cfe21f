"""``tape.specialize()``: the tape as straight-line Numba code, compiled and cached on disk.

The interpreter (``scalargraph/kernels``) pays per node for dispatching on the opcode and for
work arrays, and per call for checking eleven array arguments: nothing on a 10^6-node tape,
most of the time on a seven-node one. A specialized tape is one Numba function per pass
with every node a local variable (:func:`scalargraph.source_numba.numba_module`), the same
operations in the same order as the sweeps, so the results are the interpreter's bit for bit.

**Cache.** Numba cannot cache a function built by ``exec``, so the source is written to a
file, ``<cache_dir()>/specialized/tape_<digest>.py``, named by a digest of the tape's arrays
and of the generator's own source, and imported from there; Numba caches the compiled
functions next to it (``cache=True``). :func:`scalargraph.kernels.cache_dir` is named after
the kernels' sources, so a changed helper never meets a stale compiled tape. The file is
rewritten whenever its text is not what the generator writes now, so what runs is always
generated from the tape in hand.

**Size.** Numba's front end and LLVM take time in proportion to the function, and more:
measured with ``tools/specialize_compile_time.py`` (random graphs over every op, first call,
empty cache, a busy 2-core machine), value-and-gradient took 2.4 s at 115 nodes, 5.2 s at
215, 10 s at 415, 21 s at 815 and about 100 s at 2015 (25-50 ms per node); a later process
loads it from the disk cache in about 10 ms. The time saved is a few ns per node and call,
so a compile pays for itself after ~10^7 calls whatever the size, and past a couple of
thousand nodes it takes minutes. Past :data:`MAX_NODES` the straight-line code is refused:
on such tapes the interpreter's sweeps run at 1-3 ns per node and its per-call overhead is
already small.
"""

import functools
import hashlib
import importlib.util
import os
import stat
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np

from numba import types

from . import batch, kernels, smallcall, source_numba, threads, validate
from . import evaluation as _evaluation
from .graph import as_count

# Largest tape specialize() compiles unless told otherwise (see the module docstring).
MAX_NODES = 2000

_HERE = Path(__file__).resolve().parent
_GENERATOR = hashlib.sha256(b"".join(
    (_HERE / name).read_bytes() for name in ("source.py", "source_numba.py", "specialize.py"))).hexdigest()[:16]

_lock = threading.Lock()
_F64 = np.dtype(np.float64)
_ndarray = np.ndarray
_empty = np.empty
# The compiled kernel's signature for a plain call: (x, output, gradient).
_SIGNATURE = (smallcall.F64_ARRAY, types.int64, smallcall.F64_ARRAY)
_modules = {}  # digest -> imported module, for this process


def tape_digest(tape):
    """sha256 (hex, 24 digits) of the tape's arrays and of the generator's sources."""
    h = hashlib.sha256(_GENERATOR.encode())
    h.update(str(tape.n_inputs).encode())
    for a in (tape.op, tape.arg0, tape.arg1, tape.consts, tape.outputs):
        h.update(b"\0" + str(a.dtype).encode() + str(a.shape).encode() + b"\0")
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:24]


def _folder():
    """Where the generated files go: the kernels' cache folder, else a per-user temp folder."""
    mine = Path(tempfile.gettempdir()) / f"scalargraph-{getattr(os, 'getuid', int)()}"
    for folder in (kernels.cache_dir() / "specialized",
                   mine / kernels.cache_dir().name / "specialized"):
        try:
            if folder.parent.parent == mine:
                _check_private(mine)
            folder.mkdir(parents=True, exist_ok=True)
            tempfile.TemporaryFile(dir=folder).close()  # writable?
            return folder
        except OSError:
            continue
    raise OSError("no writable folder for specialized tapes: set SCALARGRAPH_CACHE_DIR to one")


def _check_private(top):
    """Make ``top`` (in the shared temp folder) this user's alone, or raise OSError.

    Its name is predictable, and what lands in it is imported (the generated module) and
    unpickled (Numba's cache index): a folder someone else made first, or one others may
    write to, could hand this process their code.
    """
    try:
        top.mkdir(mode=0o700)
    except FileExistsError:
        pass
    info = top.lstat()
    if not stat.S_ISDIR(info.st_mode) or (os.name == "posix" and (
            info.st_uid != os.getuid() or info.st_mode & 0o022)):
        raise OSError(f"{top} is not a folder of this user's alone")


def _module(tape):
    """The generated module of ``tape``: written (atomically) if needed, imported once."""
    digest = tape_digest(tape)
    with _lock:
        module = _modules.get(digest)
        if module is not None:
            return module
        text = source_numba.numba_module(tape)
        path = _folder() / f"tape_{digest}.py"
        try:
            current = path.read_text()
        except OSError:
            current = None
        if current != text:
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "w") as f:
                f.write(text)
            os.replace(tmp, path)
        name = f"_scalargraph_specialized_{digest}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # Numba's cache looks the module up by name
        spec.loader.exec_module(module)
        _modules[digest] = module
        return module


def specialize(tape, max_nodes=None):
    """``Tape.specialize``: see :class:`Specialized`.

    Raises ValueError above ``max_nodes`` nodes (default :data:`MAX_NODES`), saying why.
    Cost: O(n_nodes) Python to write the source; Numba compiles each method on its first
    call (seconds: 25-50 ms per node for value-and-gradient), then loads it from the disk
    cache in later processes (about 10 ms).
    """
    limit = MAX_NODES if max_nodes is None else as_count(max_nodes, "max_nodes")
    if tape.n_nodes > limit:
        raise ValueError(
            f"this tape has {tape.n_nodes} nodes, over the {limit} that specialize() compiles: "
            "the compile time grows with the code (25-50 ms per node: minutes here), "
            "while on a tape this large the interpreter's sweeps (tape.gradient, "
            "tape.value_and_gradient, tape.bind()) already run at 1-3 ns per node and the "
            "per-call overhead that specializing removes is small. Use the tape's own "
            "methods, or pass max_nodes= to compile it anyway.")
    return Specialized(tape, _module(tape))


class Specialized:
    """A tape compiled as straight-line code: the tape's evaluation methods, faster on
    small tapes, with the interpreter's results bit for bit.

    Made by :meth:`Tape.specialize`. Every argument is checked as the tape's methods check
    it, then handed to the compiled code. Batches (B, n_inputs) are split into chunks
    shared out over threads, as the tape's batched methods do.

    Attributes
    ----------
    kernel : Numba dispatcher
        ``kernel(x, output, g) -> value``: value and gradient of output ``output`` at ``x``
        (float64 (n_inputs,)), the gradient written into ``g``, callable from user
        ``@njit`` code (it checks the lengths and the output index, and raises ValueError).
    tape : Tape
        The tape it was made from.
    source : str
        The generated Numba source.
    """

    def __init__(self, tape, module):
        self.tape = tape
        self._m = module
        self.kernel = module.value_and_gradient
        self.source = Path(module.__file__).read_text()
        self._shape = (tape.n_inputs,)
        self._n = tape.n_inputs
        self._single = tape.n_outputs == 1
        # The plain call's compiled entry point, looked up after the first call compiled it
        # (see scalargraph/smallcall.py: it skips the dispatcher's type resolution).
        self._vg = self._vg_first

    def _vg_first(self, x, k, g):
        v = self.kernel(x, k, g)
        entry = smallcall.entry_point(self.kernel, _SIGNATURE)
        if entry is not None:
            self._vg = entry
        return v

    def _is_point(self, x):
        return (type(x) is np.ndarray and x.shape == self._shape and x.dtype == np.float64
                and x.flags.c_contiguous)

    def __repr__(self):
        return (f"<Specialized tape: {self.tape.n_nodes} nodes, {self.tape.n_inputs} inputs, "
                f"{self.tape.n_outputs} outputs>")

    # ---- one point or a batch --------------------------------------------------------------
    def _map(self, run, B, workers):
        chunk = max(1, min(B, batch.MAX_CHUNK))
        batch._map_chunks(run, B, chunk, workers)

    def __call__(self, x, workers=None):
        """Outputs at x (n_inputs,): array (n_outputs,); at rows of x (B, n_inputs): (B,
        n_outputs). As :meth:`Tape.__call__`. Cost: one straight-line pass per point."""
        t = self.tape
        if self._is_point(x):  # checked as _point would, at less cost
            out = np.empty(t.n_outputs)
            self._m.values(x, out)
            return out
        X = validate.points(t, x)
        if X is None:
            out = np.empty(t.n_outputs)
            self._m.values(validate.point(t, x), out)
            return out
        threads.check_workers(workers)
        out = np.empty((X.shape[0], t.n_outputs))

        def run(s, e):
            self._m.values_rows(X[s:e], out[s:e])

        self._map(run, X.shape[0], workers)
        return out

    def value_and_gradient(self, x, output=None, workers=None):
        """``(value, gradient)`` of one output, as :meth:`Tape.value_and_gradient`; for
        points (B, n_inputs), ``(values (B,), gradients (B, n_inputs))``.
        Cost: one straight-line forward and backward pass per point, no work arrays."""
        # The plain call: x exactly the type the kernel was compiled for (ndarray, native
        # float64, 1-d of n_inputs, C-contiguous, aligned, writable), and the only output.
        if (type(x) is _ndarray and output is None and self._single and x.dtype is _F64
                and x.ndim == 1 and len(x) == self._n and x.flags.carray):
            g = _empty(self._n)
            return self._vg(x, 0, g), g
        t = self.tape
        X = validate.points(t, x)
        k = validate.output_index(t, output)
        if X is None:
            g = np.empty(t.n_inputs)
            return self.kernel(validate.point(t, x), k, g), g
        threads.check_workers(workers)
        vals, G = np.empty(X.shape[0]), np.empty((X.shape[0], t.n_inputs))

        def run(s, e):
            self._m.value_and_gradient_rows(X[s:e], k, vals[s:e], G[s:e])

        self._map(run, X.shape[0], workers)
        return vals, G

    def buffer(self, output=None):
        """``call, x, gradient = spec.buffer()``, as :meth:`Tape.buffer` (CasADi's buffer
        call): write the point into ``x``; ``call()`` returns the value of the output and
        writes its gradient into ``gradient``. The compiled code gets views of its own of
        that memory (see :func:`scalargraph.smallcall.buffer`), so nothing is checked per
        call. Cost: one straight-line pass per call, no allocation; 16 B per input held."""
        k = validate.output_index(self.tape, output)
        n = self._n
        memory = np.zeros(2 * n)
        x_own, g_own = memory[:n], memory[n:]  # the kernel's views: held by call alone
        self.kernel(x_own, k, g_own)  # compile, or load from the cache
        entry = smallcall.entry_point(self.kernel, _SIGNATURE)
        return (functools.partial(entry or self.kernel, x_own, k, g_own), memory[:n],
                memory[n:])

    def gradient(self, x, output=None, workers=None):
        """d output / d inputs, as :meth:`Tape.gradient` (no ``checkpoints``).
        Cost: as :meth:`value_and_gradient`."""
        return self.value_and_gradient(x, output, workers)[1]

    def jvp(self, x, v, workers=None):
        """Forward mode ``J @ v``, as :meth:`Tape.jvp`: (n_outputs,), or (B, n_outputs) for
        points (B, n_inputs) with v (n_inputs,) or (B, n_inputs).
        Cost: one straight-line pass carrying values and tangents per point."""
        t = self.tape
        X = validate.points(t, x)
        if X is None:
            out = np.empty(t.n_outputs)
            self._m.jvp(validate.point(t, x), validate.vector(v, t.n_inputs, "direction v"), out)
            return out
        threads.check_workers(workers)
        V = _evaluation._per_point(t, v, X.shape[0], t.n_inputs, "directions v")
        if V.strides[0] == 0:  # one direction for every point: one row, read at each point
            V = np.ascontiguousarray(V[:1])
        else:
            V = np.ascontiguousarray(V)
        out = np.empty((X.shape[0], t.n_outputs))
        one = V.shape[0] == 1

        def run(s, e):
            self._m.jvp_rows(X[s:e], V if one else V[s:e], out[s:e])

        self._map(run, X.shape[0], workers)
        return out

    def compile(self):
        """Compile (or load from the disk cache) every method now, not on first call.
        Cost: the compile, once per process; returns self."""
        n, m = self.tape.n_inputs, self.tape.n_outputs
        x = np.zeros(n)
        self._m.values(x, np.empty(m))
        self.kernel(x, 0, np.empty(n))
        self._m.jvp(x, x, np.empty(m))
        X = np.zeros((1, n))
        self._m.values_rows(X, np.empty((1, m)))
        self._m.value_and_gradient_rows(X, 0, np.empty(1), np.empty((1, n)))
        self._m.jvp_rows(X, X, np.empty((1, m)))
        return self
