"""Claim 6 of the cost report: a sparse Jacobian costs one sweep per color, not per input.

On the 2-D Bratu residual (5-point stencil, N^2 unknowns) and a banded chain (bandwidth
2), the colors stay 5 at every size, so the sparse Jacobian's time per tape node is flat
in the unknowns, while the dense Jacobian's grows like them (one sweep per unknown).
CasADi's SX sparse Jacobian of the Bratu residual is the optional peer.
"""

import math

import numpy as np

from .checks import DIFFERS, MATCHES
from .stencils import bratu, banded_chain, casadi_bratu_jacobian
from .timing import interleaved, slope_estimate

# Squares for the Bratu grid (17^2, 32^2, 40^2, 46^2, 54^2, ...): 1600 and 2116 so that the
# default run's dense Jacobians (up to 3000 unknowns) give more than the four sizes a
# slope needs.
SIZES = (100, 289, 1024, 1600, 2116, 2916, 10**4, 3 * 10**4, 10**5, 3 * 10**5, 10**6)
# Below this many unknowns the fixed cost of a call (validation, the linearization's
# allocations) is most of a sparse Jacobian, so per-node time is fitted from here on, as
# claim 4 fits from cfg["linear_from"]; dense / sparse from the second size on.
FIT_FROM = 1024


def _case(name, unknowns):
    if name == "bratu":
        N = round(math.sqrt(unknowns))
        tape, _ = bratu(N)
        return tape, np.random.default_rng(0).uniform(0.0, 0.5, N * N)
    return banded_chain(unknowns, 2)


def claim_sparse(rep, cfg):
    """Measure claim 6 into ``rep`` (tables, slope checks, curves).

    Sizes follow the report's mode: unknowns up to a tenth of its largest linear-claim graph
    (10^3 quick, 10^5 default, 10^6 full; at least 1024), the dense Jacobian (8 n^2 bytes,
    n sweeps) up to its finite-difference cap (10^3, 10^4, 3 10^4). As in claim 4, every
    size and call of a workload is timed in one interleaved run, so a change of load between
    sizes cannot bend a slope.

    Cost: the interleaved run, ``cfg["budget"]`` seconds per call and size, plus building
    the tapes and plans (about a second at 10^5 unknowns).
    """
    try:
        import scipy.sparse  # noqa: F401
    except ImportError:
        rep.progress("claim 6 (sparse Jacobian)", "skipped: SciPy is not installed")
        return
    sizes = [n for n in SIZES if n <= max(1024, cfg["linear"][-1] // 10)]
    max_dense = max(1024, cfg["fd_max"])
    rows, ok_colors = [], True
    for name in ("bratu", "banded_chain"):
        fns, cases = [], []   # cases: (tape, plan, {"sparse"|"dense"|"peer": index in fns})
        for n in sizes:
            rep.progress("claim 6 (sparse Jacobian)", f"{name} unknowns={n:,}")
            tape, x = _case(name, n)
            plan = tape.sparse_plan()
            at = {"sparse": len(fns)}
            fns.append(lambda tape=tape, x=x, plan=plan: tape.sparse_jacobian(x, plan=plan))
            if tape.n_inputs <= max_dense:
                at["dense"] = len(fns)
                fns.append(lambda tape=tape, x=x: tape.jacobian(x))
                if name == "bratu":
                    try:
                        peer, _, px = casadi_bratu_jacobian(round(math.sqrt(n)))
                        px[:] = x
                        at["peer"] = len(fns)
                        fns.append(peer)
                    except ImportError:
                        pass
            cases.append((tape, plan, at))
            ok_colors &= plan.n_colors == 5
        rep.progress("claim 6 (sparse Jacobian)", f"{name}: timing {len(sizes)} sizes "
                     "interleaved")
        s = interleaved(fns, cfg["budget"], min_rounds=3)
        q = s.stat()
        ns, per_node, dense_n, ratios = [], [], [], []
        for tape, plan, at in cases:
            t_sparse = q[at["sparse"]]
            t_dense = q[at["dense"]] if "dense" in at else None
            t_peer = q[at["peer"]] if "peer" in at else None
            ns.append(tape.n_inputs)
            per_node.append(t_sparse / tape.n_nodes)
            if t_dense is not None:
                dense_n.append(tape.n_inputs)
                ratios.append(t_dense / t_sparse)
            rows.append((name, tape.n_inputs, tape.n_nodes, plan.n_colors, t_sparse * 1e6,
                         t_sparse * 1e9 / tape.n_nodes / (plan.n_colors + 1),
                         None if t_dense is None else t_dense / t_sparse,
                         None if t_peer is None else t_peer * 1e6))
        fit = [(tape, at) for tape, _, at in cases if tape.n_inputs >= FIT_FROM]
        est = slope_estimate([tape.n_inputs for tape, _ in fit],
                             [(s, lambda q, j=at["sparse"], n=tape.n_nodes: q[j] / n)
                              for tape, at in fit])
        span = f"{fit[0][0].n_inputs:,}..{fit[-1][0].n_inputs:,}" if fit else "-"
        rep.slope(6, f"{name}: sparse Jacobian time per node vs unknowns ({span})", est,
                  "0 (flat)", 0.0)
        fit = [(tape, plan, at) for tape, plan, at in cases[1:] if "dense" in at]
        span = f"{fit[0][0].n_inputs:,}..{fit[-1][0].n_inputs:,}" if fit else "-"
        # The claim counts sweeps: n_inputs tangent directions against one per color. The
        # time ratio also carries the sparse call's fixed cost (most of it below FIT_FROM
        # unknowns) and the dense blocks' caches, so it checks the trend: a slope of
        # 1.35-1.46 over 289..2,916 and over 1,024..2,916 alike (one run each).
        xs = [tape.n_inputs for tape, _, _ in fit]
        rep.slope(6, f"{name}: dense / sparse vs unknowns, operations ({span})",
                  slope_estimate(xs, [tape.n_inputs / plan.n_colors for tape, plan, _ in fit]),
                  "1", 1.0, why="n directions against one per color: the claim is about "
                  "this count")
        est = slope_estimate(xs, [(s, lambda q, at=at: q[at["dense"]] / q[at["sparse"]])
                                  for _, _, at in fit])
        rep.slope(6, f"{name}: dense / sparse vs unknowns, time ({span})", est,
                  "~1 (grows like the unknowns)", 1.0, tol=cfg["cache_tol"],
                  why=cfg["cache_note"])
        rep.curves.setdefault("claim6", {})[name] = dict(unknowns=ns, per_node=per_node,
                                                         dense_n=dense_n, ratio=ratios)
    rep.tally(6, "colors (5-point stencil; bandwidth 2)", "5 at every size" if ok_colors
              else "not 5 at every size", "5", MATCHES if ok_colors else DIFFERS)
    rep.tables.append((
        "Claim 6: sparse Jacobians, one sweep per color",
        ["workload", "unknowns", "nodes", "colors", "sparse us", "ns/node/sweep",
         "dense/sparse", "CasADi sparse us"], rows,
        "sparse: tape.sparse_jacobian with a plan made once (1 linearization + 1 sweep per "
        "color); dense: tape.jacobian (1 sweep per unknown), up to the size where it fits; "
        "CasADi: SX jacobian of the same residual, evaluated (its symbolic setup not timed)."))
