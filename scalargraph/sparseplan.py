"""A sparse plan: the pattern and coloring of one tape's Jacobian or Hessian, and the checks
that keep a plan from answering wrong entries.

:func:`scalargraph.sparsity.jacobian_plan` and ``hessian_plan`` make plans;
``sparse_jacobian`` and ``sparse_hessian`` use them. A plan's attributes are public and it
pickles as plain arrays, so a plan may come back changed. Before a use it is checked
against the tape (:func:`fingerprint`), and, at its first use after a pickle, a copy or a
change, its pattern and coloring (``_plancheck``); then its arrays are frozen
(:mod:`scalargraph.frozen`) and later uses compare identities only.
"""

import hashlib
import threading
import weakref

import numpy as np

from . import _plancheck, coloring
from .coloring import _scipy_sparse
from .frozen import frozen

_lock = threading.Lock()
_fingerprints = weakref.WeakKeyDictionary()  # tape -> fingerprint of its arrays


def fingerprint(tape):
    """A fingerprint of the tape's arrays, so that a plan refuses a tape it was not made for."""
    with _lock:
        found = _fingerprints.get(tape)
    if found is None:
        h = hashlib.blake2b(digest_size=16)
        for a in (tape.op, tape.arg0, tape.arg1, tape.outputs):
            h.update(np.ascontiguousarray(a).data)
        found = h.hexdigest()
        with _lock:
            _fingerprints[tape] = found
    return found


class SparsePlan:
    """A sparsity pattern and its coloring, for one tape: what :func:`sparse_jacobian` and
    :func:`sparse_hessian` need besides the point. Made once, used at every point.

    Attributes: ``kind`` ("jacobian" or "hessian"), ``mode`` ("forward", "reverse", or
    "hessian"), ``pattern`` (boolean csr_array), ``colors`` (int32, one per column, row, or
    Hessian column), ``n_colors`` (= sweeps per evaluation), ``output`` (Hessian only).
    Pickles as plain arrays (no tape inside); a plan refuses a tape whose arrays differ
    from the one it was made for, and a pattern or coloring that would give wrong entries
    (another pattern than the one made, a coloring under which two entries share a slot
    of the compressed product). The checked arrays are read-only.
    """

    def __init__(self, kind, mode, pattern, colors, output, digest, _trusted=False):
        self.kind, self.mode, self.pattern, self.output = kind, mode, pattern, output
        self.colors = np.ascontiguousarray(colors, dtype=np.int32)
        self.n_colors = int(self.colors.max()) + 1 if self.colors.size else 0
        self._digest = digest
        self._pattern_digest = _pattern_digest(pattern, self._pattern_output())
        self._take = _positions(kind, mode, pattern, self.colors, self.n_colors)
        self._verified = None  # the attributes the full check passed, see _check
        if _trusted:  # made here from the tape: the pattern is its own, the coloring valid
            self._freeze()
            self._verified = self._attributes()

    def __repr__(self):
        what = f"jacobian ({self.mode})" if self.kind == "jacobian" else f"hessian of output {self.output}"
        return (f"<SparsePlan {what}: shape {self.pattern.shape}, {self.pattern.nnz} "
                f"nonzeros, {self.n_colors} colors>")

    def __getstate__(self):
        # Unpickled (or deep-copied) arrays are new and writable: checked again at first use.
        state = dict(self.__dict__)
        state["_verified"] = None
        return state

    def _attributes(self):
        """The objects the check passed, then what no identity tells: the pattern's shape,
        and the shape, strides and dtype of each array (all settable in place, read-only or
        not)."""
        pattern = self.pattern
        c, t = self.colors, self._take
        p, i = getattr(pattern, "indptr", None), getattr(pattern, "indices", None)
        try:
            layout = (c.dtype, c.shape, c.strides, t.dtype, t.shape, t.strides,
                      p.dtype, p.shape, p.strides, i.dtype, i.shape, i.strides)
        except AttributeError:  # not arrays: the full check says what
            layout = None
        return (self.kind, self.mode, self.output, self.n_colors, pattern, c, t, p, i,
                (getattr(pattern, "shape", None), layout))

    def _pattern_output(self):
        # A Hessian pattern is that of one output: another output may need more entries.
        if self.kind != "hessian":
            return None
        output = self.output
        return int(output) if isinstance(output, (int, np.integer)) else repr(output)

    def _freeze(self):
        """Replace the arrays by copies nothing can write to (unless they are such already)."""
        sparse = _scipy_sparse()
        pattern = self.pattern
        pattern = sparse.csr_array((frozen(pattern.data), frozen(pattern.indices),
                                    frozen(pattern.indptr)), shape=pattern.shape)
        # SciPy gives index arrays of two types one type (a writable copy): freeze what it kept
        pattern.data, pattern.indices, pattern.indptr = (
            frozen(pattern.data), frozen(pattern.indices), frozen(pattern.indptr))
        self.pattern = pattern
        self.colors, self._take = frozen(self.colors), frozen(self._take)

    def _check(self, tape):
        if fingerprint(tape) != self._digest:
            raise ValueError("this plan was made for another tape (its arrays differ): make "
                             "one for this tape with tape.sparse_plan()")
        if "_pattern_digest" not in self.__dict__:  # unpickled from before plans kept one
            raise ValueError("this plan was pickled by an older scalargraph, which kept no "
                             "fingerprint of its pattern: make a new one with "
                             "tape.sparse_plan()")
        verified = self._verified
        now = self._attributes()
        if verified is not None and all(a is b for a, b in zip(verified[:-1], now[:-1])) \
                and verified[-1] == now[-1]:  # the same read-only arrays, the same layouts
            return
        # Set by hand, unpickled or copied: checked once, on frozen copies (so that no
        # thread can write between the check and the use), then installed all at once.
        # Until an attribute is replaced, later uses only compare identities (O(1)).
        self.__dict__.update(self._checked_copy(tape).__dict__)

    def _checked_copy(self, tape):
        """This plan with frozen copies of its arrays, checked: the structure (O(nnz),
        min/max), then the pattern's fingerprint and the coloring (O(nnz log nnz))."""
        problem = _plancheck.problem(self, tape, self._take)  # first: are they arrays at all
        copy = object.__new__(SparsePlan)
        if problem is None:
            copy.__dict__.update(self.__dict__)
            copy._freeze()
            problem = _plancheck.problem(copy, tape, copy._take) or \
                _plancheck.coloring_problem(
                    copy, lambda pattern: _pattern_digest(pattern, copy._pattern_output()),
                    _positions)
        if problem is not None:
            raise ValueError(f"this plan's attributes were changed ({problem}): make a new "
                             "one with tape.sparse_plan()")
        copy._verified = copy._attributes()
        return copy


def _pattern_digest(pattern, output=None):
    """A fingerprint of a pattern's entries (and of the output whose Hessian pattern it is),
    so that a plan notices another pattern."""
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((tuple(int(k) for k in pattern.shape), output)).encode())
    for a in (pattern.indptr, pattern.indices):
        h.update(np.ascontiguousarray(a, dtype=np.int64).data)
    return h.hexdigest()


def _positions(kind, mode, pattern, colors, p):
    """Where each stored entry of ``pattern`` sits in the compressed product (flattened, C
    order): (m, colors) forward, (n, colors) reverse and Hessian. O(nnz); O(nnz log nnz)
    for a Hessian."""
    rows = np.repeat(np.arange(pattern.shape[0], dtype=np.int64), np.diff(pattern.indptr))
    cols = pattern.indices.astype(np.int64)
    if kind == "hessian":
        src_row, src_col = _star_sources(pattern, colors, rows, cols)
        return src_row * p + src_col
    if mode == "forward":
        return rows * p + colors[cols]
    return cols * p + colors[rows]


def _star_sources(pattern, colors, rows, cols):
    """For each entry (i, j): the (row, color column) of H S holding it (star recovery)."""
    k = int(colors.max(initial=0)) + 1
    here = coloring.key_counts(rows * k + colors[cols], pattern.shape[0] * k) == 1
    # (i, j) from row i, column colors[j] where j is alone in its color; else from row j
    src_row = np.where(here, rows, cols)
    src_col = np.where(here, colors[cols], colors[rows])
    return src_row, src_col
