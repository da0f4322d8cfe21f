"""Claim 6 of the cost report: a sparse Jacobian costs one sweep per color, not per input.

On the 2-D Bratu residual (5-point stencil, N^2 unknowns) and a banded chain (bandwidth
2), the colors stay 5 at every size, so the sparse Jacobian's time per tape node is flat
in the unknowns, while the dense Jacobian's grows like them (one sweep per unknown).
CasADi's SX sparse Jacobian of the Bratu residual is the optional peer.
"""

import math

import numpy as np

from .stencils import bratu, banded_chain, casadi_bratu_jacobian
from .timing import side_by_side, slope

SIZES = (100, 1024, 10**4, 10**5, 10**6)
TOL = 0.2


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
    n sweeps) up to its finite-difference cap (10^3, 10^4, 3 10^4).
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
        ns, per_node, ratios, dense_n = [], [], [], []
        for n in sizes:
            rep.progress("claim 6 (sparse Jacobian)", f"{name} unknowns={n:,}")
            tape, x = _case(name, n)
            plan = tape.sparse_plan()
            fns = [lambda: tape.sparse_jacobian(x, plan=plan)]
            if tape.n_inputs <= max_dense:
                fns.append(lambda: tape.jacobian(x))
            peer = None
            if name == "bratu" and tape.n_inputs <= max_dense:
                try:
                    peer, _, px = casadi_bratu_jacobian(round(math.sqrt(n)))
                    px[:] = x
                    fns.append(peer)
                except ImportError:
                    peer = None
            times = side_by_side(fns, cfg["budget"], rounds=3)
            t_sparse = times[0]
            t_dense = times[1] if len(times) > 1 else None
            t_peer = times[2] if peer is not None else None
            ok_colors &= plan.n_colors == 5
            ns.append(tape.n_inputs)
            per_node.append(t_sparse / tape.n_nodes)
            if t_dense is not None:
                dense_n.append(tape.n_inputs)
                ratios.append(t_dense / t_sparse)
            rows.append((name, tape.n_inputs, tape.n_nodes, plan.n_colors, t_sparse * 1e6,
                         t_sparse * 1e9 / tape.n_nodes / (plan.n_colors + 1),
                         None if t_dense is None else t_dense / t_sparse,
                         None if t_peer is None else t_peer * 1e6))
        s = slope(ns, per_node)
        rep.check(6, f"{name}: sparse Jacobian time per node vs unknowns", s, "0",
                  abs(s) <= TOL)
        if len(dense_n) >= 2:
            k = min(len(dense_n) // 2, len(dense_n) - 2)  # the larger half, two sizes at least
            s = slope(dense_n[k:], ratios[k:])
            rep.check(6, f"{name}: dense / sparse vs unknowns", s, "1", abs(s - 1) <= TOL)
        rep.curves.setdefault("claim6", {})[name] = dict(unknowns=ns, per_node=per_node,
                                                         dense_n=dense_n, ratio=ratios)
    rep.check(6, "colors (5-point stencil; bandwidth 2)", "5 at every size" if ok_colors
              else "not 5", "5", ok_colors)
    rep.tables.append((
        "Claim 6: sparse Jacobians, one sweep per color",
        ["workload", "unknowns", "nodes", "colors", "sparse us", "ns/node/sweep",
         "dense/sparse", "CasADi sparse us"], rows,
        "sparse: tape.sparse_jacobian with a plan made once (1 linearization + 1 sweep per "
        "color); dense: tape.jacobian (1 sweep per unknown), up to the size where it fits; "
        "CasADi: SX jacobian of the same residual, evaluated (its symbolic setup not timed)."))
