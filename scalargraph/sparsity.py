"""Sparse Jacobians and Hessians: patterns from the tape, colorings, one sweep per color.

``Tape.jacobian_sparsity``, ``hessian_sparsity``, ``sparse_jacobian`` and ``sparse_hessian``
call the functions here. Three steps, as in CppAD, ADOL-C and CasADi:

1. **Pattern.** Index sets propagated over the tape (``kernels/sparsity.py``): which inputs
   each output depends on through partials that are not structurally zero. The op table
   says which those are (:data:`DEPENDS`, :data:`SECOND`, derived from the partial rules of
   :mod:`scalargraph.ops`): a partial rule that is a literal zero (``gt``) adds nothing, a
   constant operand is not a node and adds nothing, and the branches of ``maximum``,
   ``minimum``, ``relu``, ``abs``, ``leaky_relu`` both count, so the pattern holds at every
   point, not only the one it is used at. The Hessian pattern of one output collects, for
   every node that reaches it, set(parent a) x set(parent b) for each pair of slots whose
   second partial is not structurally zero (CppAD's ``for_hes_sparsity``).
2. **Coloring** (:mod:`scalargraph.coloring`): columns (forward) or rows (reverse) that
   never share a row (column) share a color; a star coloring for Hessians.
3. **Compressed evaluation.** One block sweep per color, seeded with the sum of the
   color's unit vectors; each entry of the pattern is then read from one compressed
   product. A plan (pattern + coloring) is computed once per tape and reused at every
   point; it pickles (plain arrays), e.g. to ship to Dask workers with the tape.

Forward-mode and reverse-mode values equal the dense :meth:`Tape.jacobian` of the same
mode bit for bit: every node that reaches an output depends on at most one column of each
color, so each compressed tangent/adjoint is the same sum, in the same order, as the dense
one (the others add exact zeros). Hessian entries come from products H v with v the sum of
several unit vectors, summed in another order than the dense H e_j: equal to rounding.
"""

import ast
import threading
import weakref

import numpy as np

from . import ops, coloring, validate
from .coloring import _scipy_sparse
from .frozen import frozen
from .sparseplan import SparsePlan, fingerprint
from .kernels import sparsity as _kernels, sweeps as _sweeps

_MODES = ("auto", "forward", "reverse")
_lock = threading.Lock()
_plans = weakref.WeakKeyDictionary()    # tape -> {key: plan}, the plans made without a `plan=`


# ---- the op table as lookup arrays --------------------------------------------------------
def _rule_slots(rule, op):
    """Parent slots a partial rule depends on (outside ``gt``, whose derivative is zero)."""
    slots_of = {"x": {0}, "z": set(range(op.arity)), "y": {1} if op.kind == ops.BINARY else set()}
    found = set()

    def walk(node):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "gt":
            return
        if isinstance(node, ast.Name) and node.id in slots_of:
            found.update(slots_of[node.id])
        for child in ast.iter_child_nodes(node):
            walk(child)

    walk(ast.parse(rule, mode="eval"))
    return found


def _structurally_zero(rule):
    try:
        return float(ast.literal_eval(rule)) == 0.0
    except (ValueError, TypeError, SyntaxError):
        return False


def structure_tables(table=ops.OPS):
    """``(depends, second)`` uint8 arrays indexed by opcode, derived from the partial rules.

    ``depends[code, s]`` is 1 when slot s is a parent whose partial is not a literal zero;
    ``second[code, w]`` is 1 when the second partial in slots (0, 0), (0, 1), (1, 1)
    (w = 0, 1, 2) may be nonzero: the partial towards one slot mentions the other slot's
    operand (or the op's own value) outside ``gt(...)``.
    Cost: one parse of each partial rule, at import.
    """
    depends = np.zeros((len(table), 2), dtype=np.uint8)
    second = np.zeros((len(table), 3), dtype=np.uint8)
    for op in table:
        for a, rule in enumerate(op.partials):
            if _structurally_zero(rule):
                continue
            depends[op.code, a] = 1
            for b in _rule_slots(rule, op):
                second[op.code, {(0, 0): 0, (0, 1): 1, (1, 0): 1, (1, 1): 2}[a, b]] = 1
    return frozen(depends), frozen(second)


DEPENDS, SECOND = structure_tables()


# ---- patterns -----------------------------------------------------------------------------
def _forward_sets(tape, need=None):
    n = tape.n_nodes
    if need is None:
        need = np.ones(n, dtype=bool)
    start, length = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    buf = np.empty(max(16, tape.n_inputs + n), dtype=np.int32)  # grown by the kernel if short
    buf = _kernels.forward_sets(tape.op, tape.arg0, tape.arg1, DEPENDS, tape.n_inputs, need,
                                start, length, buf)
    return start, length, buf


def jacobian_sparsity(tape, method="auto"):
    """Boolean ``csr_array`` (n_outputs, n_inputs): True where d output / d input may be
    nonzero at some point.

    ``method``: "forward" propagates input sets from the inputs, "reverse" output sets from
    the outputs; "auto" picks forward when n_inputs <= n_outputs (the sets are then the
    smaller ones).
    Cost: O(n_nodes + total size of the distinct index sets) time and memory (a node whose
    set equals its parent's shares it), never n_outputs x n_inputs: 12-16 B per node and
    4 B per set entry; on the 2-D Bratu residual about 10 times one forward value sweep
    (benchmarks/sparse_sizes.py).
    """
    validate.require_tape(tape, "sparsity.jacobian_sparsity")
    sparse = _scipy_sparse()
    if method == "auto":
        method = "forward" if tape.n_inputs <= tape.n_outputs else "reverse"
    shape = (tape.n_outputs, tape.n_inputs)
    if method == "forward":
        sets = _forward_sets(tape)
        indptr, indices = _kernels.gather_rows(tape.outputs, *sets)
        return sparse.csr_array((np.ones(indices.size, dtype=bool), indices, indptr), shape)
    if method == "reverse":
        sets = _kernels.reverse_sets(tape.op, tape.arg0, tape.arg1, DEPENDS, tape.outputs,
                                     tape.n_inputs)
        rows = np.arange(tape.n_inputs, dtype=np.int32)
        indptr, indices = _kernels.gather_rows(rows, *sets)
        transposed = sparse.csr_array((np.ones(indices.size, dtype=bool), indices, indptr),
                                      shape[::-1])
        return coloring.as_pattern(transposed.T)
    raise ValueError(f"method must be 'auto', 'forward' or 'reverse', got {method!r}")


def hessian_sparsity(tape, output=None):
    """Boolean symmetric ``csr_array`` (n_inputs, n_inputs): True where the second
    derivative of one output may be nonzero at some point.

    Cost: one reverse pass marking the nodes that reach the output and those whose input
    sets are read, one forward index-set pass over the latter (as :func:`jacobian_sparsity`;
    a linear reduction on top, like a sum of squares, builds no sets), and one pair per
    (nonlinear node, input of one parent, input of the other) emitted and de-duplicated:
    O(n_nodes + pairs).
    """
    validate.require_tape(tape, "sparsity.hessian_sparsity")
    sparse = _scipy_sparse()
    seed = int(tape.outputs[validate.output_index(tape, output)])
    n = tape.n_inputs
    live, need = _kernels.hessian_needs(tape.op, tape.arg0, tape.arg1, DEPENDS, SECOND, n, seed)
    sets = _forward_sets(tape, need)
    indptr, indices = _kernels.hessian_pattern(tape.op, tape.arg0, tape.arg1, SECOND, n, seed,
                                               live, *sets)
    return sparse.csr_array((np.ones(indices.size, dtype=bool), indices, indptr), (n, n))


# ---- plans --------------------------------------------------------------------------------
def jacobian_plan(tape, mode="auto", ordering="dsatur"):
    """The pattern of the Jacobian and a coloring of its columns (forward mode) or rows
    (reverse mode); "auto" colors both and keeps the side with fewer colors (forward on a
    tie; a symmetric pattern is colored once, its rows coloring like its columns).
    Cost: :func:`jacobian_sparsity` + one or two colorings (O(nnz) for bounded rows; DSATUR
    about 0.8 us per column on the 5-point stencil at 10^6 unknowns, half of a plan's time).
    """
    validate.require_tape(tape, "sparsity.jacobian_plan")
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    pattern = jacobian_sparsity(tape)
    plans = []
    if mode in ("auto", "forward"):
        plans.append(("forward", coloring.color_columns(pattern, ordering)))
    # a symmetric pattern (a stencil's) has the same row and column colorings: color once
    symmetric = pattern.shape[0] == pattern.shape[1] and (pattern != pattern.T).nnz == 0
    if mode == "reverse" or (mode == "auto" and not symmetric):
        plans.append(("reverse", coloring.color_rows(pattern, ordering)))
    side, colors = min(plans, key=lambda p: p[1].max(initial=-1))
    return SparsePlan("jacobian", side, pattern, colors, None, fingerprint(tape), _trusted=True)


def hessian_plan(tape, output=None, ordering="smallest_last"):
    """The Hessian pattern of one output and a star coloring of it (a column coloring for a
    tape with ``sg.custom_gradient`` partials, whose Hessian need not be symmetric).
    Cost: :func:`hessian_sparsity` + the coloring."""
    validate.require_tape(tape, "sparsity.hessian_plan")
    pattern = hessian_sparsity(tape, output)
    if np.any(tape.op == ops.LINK):
        # sg.custom_gradient's partials need not be a gradient, so the Hessian need not be
        # symmetric: star recovery, which reads (i, j) from row j where j shares its color
        # in row i, would return H[j, i]. A column coloring (no two columns of a color
        # share a row) reads every (i, j) from its own column's product.
        colors = coloring.color_columns(pattern)
    else:
        colors = coloring.star_coloring(pattern, ordering)
    return SparsePlan("hessian", "hessian", pattern, colors, validate.output_index(tape, output),
                      fingerprint(tape), _trusted=True)


def _cached_plan(tape, key, make):
    with _lock:
        found = _plans.get(tape, {}).get(key)
    if found is None:
        found = make()
        with _lock:
            _plans.setdefault(tape, {})[key] = found
    return found


# ---- the sweeps, through one place each ----------------------------------------------------
def _forward_block(tape, partials, tangents):
    _sweeps.forward_tangents_block(tape.n_inputs, tape.arg0, tape.arg1, partials, tangents)


def _reverse_block(tape, partials, adjoints):
    _sweeps.reverse_adjoints_block(tape.arg0, tape.arg1, partials, adjoints)


def _hvp_column(tape, values, partials, v, seed_at, work):
    from . import second_order
    return second_order.hvp_on(tape, values, partials, v, seed_at, *work)


# Colors per block: up to 64 MiB of tangents, 8 times the dense Jacobian's blocks. With a
# handful of colors, reading the tape once per block costs more than the block's cache
# misses: one block of 5 colors against blocks of 1 took 0.098 vs 0.22 s on the 10^5-unknown
# Bratu residual (9 10^5 nodes); at 10^6 unknowns (360 MB blocks) one block was slower.
_SPARSE_BLOCK_ELEMENTS = 1 << 23


def _block_size(tape, count):
    return int(max(1, min(64, count, _SPARSE_BLOCK_ELEMENTS // max(tape.n_nodes, 1))))


# ---- compressed evaluation ----------------------------------------------------------------
def sparse_jacobian(tape, x, mode="auto", plan=None):
    """The Jacobian at ``x`` as a float ``csr_array`` (n_outputs, n_inputs) on the pattern.

    ``plan`` (from :func:`jacobian_plan`) fixes pattern, coloring and mode (a ``mode`` other
    than "auto" must be the plan's); without one, the plan for ``mode`` is made on the first
    call and kept with the tape.
    Cost: one forward sweep with partials, then one tangent (forward) or adjoint (reverse)
    sweep per color, in blocks of colors up to 64 MiB; work memory 24 B/node + 8 B/node
    per color of a block. Values equal the dense Jacobian of the same mode bit for bit.
    """
    validate.require_tape(tape, "sparsity.sparse_jacobian")
    x = validate.point(tape, x)
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    if plan is None:
        plan = _cached_plan(tape, ("jacobian", mode), lambda: jacobian_plan(tape, mode))
    elif not isinstance(plan, SparsePlan) or plan.kind != "jacobian":
        raise TypeError(f"plan must be a Jacobian plan from tape.sparse_plan(), got {plan!r}")
    elif mode not in ("auto", plan.mode):  # the plan fixes the mode: say so, not ignore it
        raise ValueError(f"mode={mode!r} with a {plan.mode}-mode plan: the plan fixes the "
                         f"mode; pass mode='auto' (or none), or a plan made with "
                         f"tape.sparse_plan(mode={mode!r})")
    plan._check(tape)
    sparse = _scipy_sparse()
    n, m, p = tape.n_inputs, tape.n_outputs, plan.n_colors
    compressed = np.zeros((m, p) if plan.mode == "forward" else (n, p))
    if p:
        _, partials = tape.linearize(x)
        block = _block_size(tape, p)
        for start in range(0, p, block):
            k = min(block, p - start)
            # -0.0: not seeded (kernels/reach.py); the forward sweep reads 0 as not seeded.
            work = np.full((tape.n_nodes, k), -0.0)
            if plan.mode == "forward":
                j = np.flatnonzero((plan.colors >= start) & (plan.colors < start + k))
                work[j, plan.colors[j] - start] = 1.0
                _forward_block(tape, partials, work)
                compressed[:, start:start + k] = work[tape.outputs]
            else:
                r = np.flatnonzero((plan.colors >= start) & (plan.colors < start + k))
                np.add.at(work, (tape.outputs[r], plan.colors[r] - start), 1.0)
                _reverse_block(tape, partials, work)
                compressed[:, start:start + k] = work[:n]
    data = compressed.ravel().take(plan._take) + 0.0  # -0.0 (not reached) becomes 0.0
    pat = plan.pattern
    return sparse.csr_array((data, pat.indices.copy(), pat.indptr.copy()), pat.shape)


def sparse_hessian(tape, x, output=None, plan=None):
    """The Hessian of one output at ``x`` as a float ``csr_array`` (n_inputs, n_inputs) on
    its pattern, from one Hessian-vector product per color of a star coloring.

    Cost: one forward sweep with partials, then per color one pair of second-order sweeps
    (as :meth:`Tape.hvp`); 64 B/node work memory, reused. Equal to :meth:`Tape.hessian` to
    rounding (the products sum several columns at once).
    """
    validate.require_tape(tape, "sparsity.sparse_hessian")
    x = validate.point(tape, x)
    if plan is None:
        k = validate.output_index(tape, output)
        plan = _cached_plan(tape, ("hessian", k), lambda: hessian_plan(tape, k))
    elif not isinstance(plan, SparsePlan) or plan.kind != "hessian":
        raise TypeError(f"plan must be a Hessian plan from tape.sparse_plan(kind='hessian'), "
                        f"got {plan!r}")
    elif output is not None and validate.output_index(tape, output) != plan.output:
        raise ValueError(f"the plan is for output {plan.output}, not {output}")
    plan._check(tape)
    sparse = _scipy_sparse()
    n, p = tape.n_inputs, plan.n_colors
    compressed = np.zeros((n, p))
    if p:
        seed_at = int(tape.outputs[plan.output])
        values, partials = tape.linearize(x)
        nn = tape.n_nodes
        work = (np.empty(nn), np.empty((nn, 2)), np.empty(nn), np.empty(nn))
        for c in range(p):
            v = (plan.colors == c).astype(np.float64)
            compressed[:, c] = _hvp_column(tape, values, partials, v, seed_at, work)
    data = compressed.ravel().take(plan._take)
    pat = plan.pattern
    return sparse.csr_array((data, pat.indices.copy(), pat.indptr.copy()), pat.shape)


def sparse_plan(tape, kind="jacobian", mode="auto", output=None, ordering=None):
    """:func:`jacobian_plan` (``kind="jacobian"``) or :func:`hessian_plan` (``"hessian"``);
    ``ordering`` None takes each one's default. Cost: as the plan made."""
    validate.require_tape(tape, "sparsity.sparse_plan")
    if kind == "jacobian":
        if output is not None:
            raise ValueError("output applies to Hessian plans only")
        return jacobian_plan(tape, mode, ordering or "dsatur")
    if kind == "hessian":
        if mode != "auto":
            raise ValueError("mode applies to Jacobian plans only")
        return hessian_plan(tape, output, ordering or "smallest_last")
    raise ValueError(f"kind must be 'jacobian' or 'hessian', got {kind!r}")
