"""The check a :class:`scalargraph.SparsePlan` passes before each use.

A plan's attributes are public and it pickles as plain attributes, so one may reach
``sparse_jacobian`` / ``sparse_hessian`` changed by hand or unpickled from altered data;
the compressed sweeps would then broadcast a short ``colors`` or wrap a negative index
around, and answer wrongly without a word. :func:`problem` compares the plan's structure
with the tape it is used on; :func:`coloring_problem` then checks that the pattern is the
one the plan was made with and that its coloring reads every entry back alone.
"""

import numpy as np

from . import coloring


def problem(plan, tape, take):
    """What makes ``plan`` (attributes public, so set by hand or unpickled from altered data)
    disagree with what :class:`SparsePlan` made for ``tape``, or None; ``take`` is the plan's
    map from pattern entries to compressed positions. The sweeps would
    broadcast a short ``colors`` or wrap a negative index around: silently wrong results.
    Cost: O(len(colors) + nnz), min/max only."""
    n, m = tape.n_inputs, tape.n_outputs
    hessian = plan.kind == "hessian"
    if (plan.kind, plan.mode) not in (("jacobian", "forward"), ("jacobian", "reverse"),
                                      ("hessian", "hessian")):
        return f"kind {plan.kind!r} with mode {plan.mode!r}"
    shape = (n, n) if hessian else (m, n)
    pattern = plan.pattern
    if not all(hasattr(pattern, a) for a in ("indptr", "indices", "data")):  # nnz: reads indptr
        return f"pattern must be a SciPy csr_array, got {type(pattern).__name__}"
    if getattr(pattern, "shape", None) != shape:
        return f"pattern of shape {getattr(pattern, 'shape', None)}, expected {shape}"
    indptr, indices = pattern.indptr, pattern.indices
    if not all(isinstance(a, np.ndarray) and a.ndim == 1 and a.dtype.kind == "i"
               for a in (indptr, indices)) or indptr.shape[0] != shape[0] + 1:
        return (f"pattern index arrays must be 1-d signed integer arrays, indptr of length "
                f"{shape[0] + 1}")
    data = pattern.data  # not read by the sweeps, but by SciPy when checked
    if not (isinstance(data, np.ndarray) and data.ndim == 1 and data.dtype.kind in "biuf"
            and data.shape[0] == indices.shape[0]):
        return "pattern data must be a 1-d array of booleans or numbers, one per index"
    colors, p = plan.colors, plan.n_colors
    length = m if plan.mode == "reverse" else n
    if not (isinstance(colors, np.ndarray) and colors.dtype == np.int32 and colors.ndim == 1
            and colors.shape[0] == length):
        return f"colors must be int32 of length {length}"
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)) \
            or p != (int(colors.max()) + 1 if length else 0) or (length and colors.min() < 0):
        return "colors must be 0 .. n_colors - 1"
    rows = m if plan.mode == "forward" else n
    if not (isinstance(take, np.ndarray) and take.dtype.kind == "i" and take.ndim == 1
            and take.shape[0] == pattern.nnz) \
            or (take.size and (take.min() < 0 or take.max() >= rows * p)):
        return "the entries' positions"
    if hessian and (isinstance(plan.output, bool) or not isinstance(plan.output, (int, np.integer))
                    or not 0 <= plan.output < m):
        return f"output {plan.output!r}"
    return None


def coloring_problem(plan, fingerprint, positions):
    """Why ``plan`` (past :func:`problem`) would answer wrong entries, or None: its pattern is
    not the one it was made with (``fingerprint(pattern)`` differs from the one kept), the
    entries' positions are not those that its colors give (``positions(kind, mode,
    pattern, colors, n_colors)``), or its colors are not a valid coloring of the pattern:
    two entries would share a slot of the compressed product, and the sweeps would add
    them. A plan's pattern must be the tape's, which only making it again could tell; the
    fingerprint tells a changed one. Cost: O(nnz log nnz) (sorts), once per set of arrays
    (the plan keeps the verdict)."""
    pattern = plan.pattern
    if fingerprint(pattern) != plan._pattern_digest:
        return "the pattern (with its output, for a Hessian) is not the one the plan was made with"
    hessian = plan.kind == "hessian"
    canonical = coloring.as_pattern(pattern, square=hessian)
    if not (np.array_equal(canonical.indptr, pattern.indptr)
            and np.array_equal(canonical.indices, pattern.indices)):
        return "the pattern has unsorted, repeated or zero entries"
    if not np.array_equal(plan._take, positions(plan.kind, plan.mode, pattern, plan.colors,
                                                plan.n_colors)):
        return "the entries' positions are not those of its colors"
    kind = {"forward": "column", "reverse": "row", "hessian": "star"}[plan.mode]
    try:
        valid = coloring.check_coloring(canonical, plan.colors, kind)
    except ValueError as err:  # a Hessian pattern that is not symmetric
        return str(err)
    if not valid:
        return f"colors are not a {kind} coloring of the pattern: entries would be added"
    return None
