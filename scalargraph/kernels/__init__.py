"""Every compiled (Numba) loop of scalargraph, and nothing else.

==============  ==========================================================================
module          what it holds
==============  ==========================================================================
``rules``       GENERATED from the op table (``python tools/gen_rules.py``): per-op value,
                partials and second partials, inlined into the loops below
``scalar``      the scalar helpers the rules call (``sigmoid``, ``softplus``, ``gt``)
``forward``     values; values with local partials; values with tangents (jvp)
``sweeps``      op-agnostic sweeps over the partials: reverse, forward, k at once, and the
                fused value-and-gradient kernel
``sealed``      the fused kernel for user ``@njit`` code, which checks ``bind``'s seal
``batch``       values and partials at B points at once
``packed``      the small-tape plain call: value and gradient on packed arrays (4 arguments)
``smallcall``   the same on one packed array per tape (3 arguments, the GIL held)
``tiles``       forward-mode Jacobian blocks over slots of live nodes
``order``       depth-first node order (same bits) and locality figures
``second``      forward-over-reverse second order
``checkpoint``  the checkpointed reverse sweep
``flatten``     ``sg.compile``: live marks, renumbering, work-vector slots
``tapecheck``   the check of raw tape arrays (``sg.Tape``, ``load``, unpickling), one pass
``optimize``    constant folding marks and the hash-consing rebuild
``paths``       the sum over paths (slow on purpose) and the path counter
==============  ==========================================================================

The modules above this package validate every argument and then call these kernels, which
trust them: Numba does not check bounds.

**The on-disk cache.** Numba caches a compiled function under a stamp of its own source
file, and does not notice when a function it calls from another file changes (every loop
here inlines ``rules``). So the kernels are cached in a folder named after a digest of the
*whole* package's sources (every ``.py`` file under ``scalargraph/kernels``): any change
anywhere, a regenerated rule included, gives a new folder, and a stale kernel can never be
loaded. The folder is per user, outside the installed package (pip then owns every file it
installed, and an uninstall leaves nothing behind):
``$SCALARGRAPH_CACHE_DIR``, else ``$NUMBA_CACHE_DIR/scalargraph``, else
``$XDG_CACHE_HOME/scalargraph`` (``~/.cache/scalargraph``), then
``<digest>-py<version>-numba<version>/``. Copies of the package with the same sources (an
install and a checkout) share it. :func:`cache_dir` says where it is.
"""

import hashlib
import os
import sys
import tempfile
from pathlib import Path

import numba
import numba.core.event
from numba.core import caching as _caching

_HERE = Path(__file__).resolve().parent
_PACKAGE = _HERE.parent


def _sources_digest():
    """sha256 over the names and bytes of every .py file of this package, sorted."""
    h = hashlib.sha256()
    for path in sorted(_HERE.glob("*.py")):
        h.update(path.name.encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:20]


DIGEST = _sources_digest()


def _base_dir():
    explicit = os.environ.get("SCALARGRAPH_CACHE_DIR")
    if explicit:
        return Path(explicit)
    numba_dir = os.environ.get("NUMBA_CACHE_DIR")
    if numba_dir:
        return Path(numba_dir) / "scalargraph"
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(xdg) / "scalargraph"


def cache_dir():
    """The folder this copy of scalargraph caches its compiled kernels in (a Path)."""
    version = f"py{sys.version_info[0]}{sys.version_info[1]}-numba{numba.__version__}"
    return _base_dir() / f"{DIGEST}-{version}"


class _Locator(_caching._CacheLocator):
    """Numba cache locator for the functions of scalargraph: the per-user digest folder.

    The stamp is the package digest (not the file's), so the index of a cache file is
    valid exactly for the sources it was compiled from.
    """

    def __init__(self, py_func, py_file, path):
        self._lineno = py_func.__code__.co_firstlineno
        self._path = str(path)
        self._py_file = py_file  # Numba names it when it warns that a function can't be cached

    def ensure_cache_path(self):
        os.makedirs(self._path, exist_ok=True)
        tempfile.TemporaryFile(dir=self._path).close()  # writable?

    def get_cache_path(self):
        return self._path

    def get_source_stamp(self):
        return DIGEST

    def get_disambiguator(self):
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func, py_file):
        try:
            inside = Path(py_file).resolve().is_relative_to(_PACKAGE)
        except (OSError, ValueError):
            return None
        if not inside:
            return None
        # Files outside kernels/ (the benchmark peers) go to a subfolder named after them.
        sub = Path(py_file).resolve().relative_to(_PACKAGE).parent
        path = cache_dir() if sub == Path("kernels") else cache_dir() / "-".join(sub.parts)
        for candidate in (path, Path(tempfile.gettempdir()) / f"scalargraph-{getattr(os, 'getuid', int)()}"
                          / path.name):
            self = cls(py_func, py_file, candidate)
            try:
                self.ensure_cache_path()
            except OSError:
                continue
            return self
        return None  # Numba's own locators take over


# Numba tries the locators of this list in order (CacheImpl, _CacheImpl before 0.61).
_LOCATORS = getattr(_caching, "CacheImpl", None) or getattr(_caching, "_CacheImpl")
if _Locator not in _LOCATORS._locator_classes:
    _LOCATORS._locator_classes.insert(0, _Locator)


class _Announce(numba.core.event.Listener):
    """One line on stderr when this process first compiles a scalargraph kernel.

    Numba raises the "numba:compile" event only for a real compile, not for a load from the
    disk cache, so a warm start prints nothing. Set SCALARGRAPH_QUIET=1 to silence it.
    """

    said = False

    def on_start(self, event):
        if _Announce.said or os.environ.get("SCALARGRAPH_QUIET"):
            return
        dispatcher = (event.data or {}).get("dispatcher")
        module = getattr(getattr(dispatcher, "py_func", None), "__module__", "") or ""
        if module.startswith("scalargraph."):
            _Announce.said = True
            print("scalargraph: compiling kernels, once (a few seconds per feature; cached in "
                  f"{cache_dir()}; `python -m scalargraph warmup` compiles them all ahead of "
                  "time)", file=sys.stderr, flush=True)

    def on_end(self, event):
        pass


numba.core.event.register("numba:compile", _Announce())


def skip_compile_notice():
    """Print no first-compile notice in this process (``warmup`` prints its own lines)."""
    _Announce.said = True


# sg.compile's scans (the record check, live marks, renumbering, the depth-first order and
# its locality) on a graph of at most SMALL nodes run in the interpreter, from the same
# source, for the first FIRST_CALLS calls of a process that has not compiled them: on an
# empty cache the quick start's sg.compile took 2.4 s, nearly all of it compiling four of
# them, and now takes 1 ms; the first gradient still compiles its own. Interpreted, the
# scans cost about 6 us per node (the seven-node Domke graph 114 us, 70 compiled; 62 nodes
# 434 against 80), so after FIRST_CALLS a process compiles them (or loads them from the
# cache) and a program that compiles many small graphs pays the interpreter only for those.
SMALL = 64
FIRST_CALLS = 16
_interpreted = {}  # kernel -> calls run by the interpreter


def small_or_compiled(kernel, n_nodes):
    """``kernel``, or the same function run by the Python interpreter (``kernel.py_func``)
    when it will scan at most :data:`SMALL` nodes and this process has neither compiled nor
    loaded it, for its first :data:`FIRST_CALLS` calls. Only for kernels whose source runs
    unchanged in Python: NumPy arrays, integer arithmetic, no other kernel called."""
    if n_nodes <= SMALL and not getattr(kernel, "overloads", True):  # (a Numba dispatcher)
        calls = _interpreted.get(kernel, 0)
        if calls < FIRST_CALLS:
            _interpreted[kernel] = calls + 1
            return kernel.py_func
    return kernel


def _check_rules():
    """Refuse to run rules generated from another op table (checked once, at import)."""
    if os.environ.get("SCALARGRAPH_REGENERATING"):
        return  # tools/gen_rules.py is importing the package to rewrite the rules
    from .. import ops
    from . import rules
    if rules.TABLE_DIGEST != ops.table_digest():
        raise ImportError("scalargraph/kernels/rules.py was generated from another op table "
                          "than scalargraph/ops.py: run python tools/gen_rules.py")


_check_rules()
