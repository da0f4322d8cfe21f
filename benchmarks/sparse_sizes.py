"""Sparse against dense Jacobians on the 2-D Bratu residual and a banded chain, by size.

    python benchmarks/sparse_sizes.py [--max-unknowns 1e6] [--max-dense 3e4]

For each size: the tape's nodes, the pattern's cost per node (forward and reverse index
sets), the plan (pattern + coloring) time, the colors, and the time per Jacobian: sparse
(one linearization + one sweep per color), dense scalargraph (one sweep per unknown, up to
--max-dense unknowns: 8 n^2 bytes) and CasADi's SX sparse Jacobian where installed (its
one-off symbolic setup reported apart). Times are the fastest of interleaved batches
(scalargraph.bench.side_by_side): on a shared machine other load only adds time.
"""

import argparse
import time

import numpy as np

from scalargraph.bench import side_by_side
from scalargraph.bench.stencils import bratu, banded_chain, casadi_bratu_jacobian


def _once(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def row(name, tape, x, max_dense, casadi=None):
    n = tape.n_inputs
    # the pattern alone, both propagation directions (warm first: JIT and caches)
    tape.jacobian_sparsity("forward"), tape.jacobian_sparsity("reverse")
    t_fwd, t_rev = side_by_side([lambda: tape.jacobian_sparsity("forward"),
                                 lambda: tape.jacobian_sparsity("reverse")],
                                budget=0.2, rounds=3)
    plan, t_plan = _once(lambda: tape.sparse_plan())
    fns = [lambda: tape.sparse_jacobian(x, plan=plan)]
    if n <= max_dense:
        fns.append(lambda: tape.jacobian(x))
    setup = None
    if casadi is not None:
        try:
            (call, _, _), setup = _once(casadi)
            fns.append(call)
        except ImportError:
            pass
    times = side_by_side(fns, budget=0.2, rounds=3)
    sparse = times[0]
    dense = times[1] if n <= max_dense else None
    peer = times[-1] if setup is not None else None
    return dict(workload=name, unknowns=n, nodes=tape.n_nodes, nnz=plan.pattern.nnz,
                colors=plan.n_colors, mode=plan.mode,
                pattern_fwd_ns_per_node=t_fwd * 1e9 / tape.n_nodes,
                pattern_rev_ns_per_node=t_rev * 1e9 / tape.n_nodes,
                plan_s=t_plan, sparse_s=sparse, dense_s=dense,
                dense_over_sparse=None if dense is None else dense / sparse,
                casadi_s=peer, casadi_setup_s=setup,
                sparse_ns_per_node_per_color=sparse * 1e9 / tape.n_nodes / (plan.n_colors + 1))


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-unknowns", type=float, default=1e6)
    parser.add_argument("--max-dense", type=float, default=3e4)
    parser.add_argument("--max-casadi", type=float, default=1e5)
    args = parser.parse_args(argv)
    rows = []
    for N in (10, 32, 100, 173, 316, 1000):
        if N * N > args.max_unknowns:
            break
        tape, _ = bratu(N)
        x = np.random.default_rng(0).uniform(0.0, 0.5, N * N)
        casadi = (lambda N=N: casadi_bratu_jacobian(N)) if N * N <= args.max_casadi else None
        rows.append(row("bratu", tape, x, args.max_dense, casadi))
        print(rows[-1], flush=True)
    for n in (100, 1000, 10**4, 3 * 10**4, 10**5, 10**6):
        if n > args.max_unknowns:
            break
        tape, x = banded_chain(n, 2)
        rows.append(row("banded_chain_w2", tape, x, args.max_dense))
        print(rows[-1], flush=True)
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for r in rows:
        print("| " + " | ".join(fmt(r[k]) for k in keys) + " |")
    return rows


if __name__ == "__main__":
    main()
