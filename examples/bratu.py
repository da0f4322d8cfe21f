"""Newton's method on the 2-D Bratu problem with a sparse Jacobian from the tape.

    -Laplace u - lam e^u = 0 on the unit square, u = 0 on the boundary,

discretized with the 5-point stencil on an N x N interior grid (N^2 unknowns,
scalargraph.bench.stencils.bratu). Each Newton step takes the Jacobian from
``tape.sparse_jacobian``: its pattern and a coloring are found once from the tape (5 colors
for the 5-point stencil), then every Jacobian costs one linearization sweep and 5 tangent
sweeps, however large N^2 is; ``scipy.sparse.linalg.spsolve`` solves the step. The dense
Jacobian would need N^2 sweeps and 8 N^4 bytes: at the default N = 300, 81000 sweeps and
65 GB.

Prints the residual per iteration (it falls quadratically: each one about the square of the
last, times a constant) and the time per Jacobian.

Run: python examples/bratu.py [--quick] [--n N] [--lam LAM]
"""

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scalargraph as sg  # noqa: E402,F401
from scalargraph.bench.stencils import bratu  # noqa: E402
from _common import parse_args, fmt_time  # noqa: E402


def newton(tape, u, plan=None, tol=1e-10, max_steps=20, log=print):
    """Newton's method on F(u) = 0 with sparse Jacobians; returns (u, residuals, jac_times).

    ``plan``: the tape's Jacobian plan (pattern + coloring; made here when None), reused at
    every step. ``residuals[k]`` is max |F| after k steps; ``jac_times`` the seconds of each
    Jacobian.
    """
    from scipy.sparse.linalg import spsolve
    plan = plan or tape.sparse_plan()
    residuals, jac_times = [], []
    for step in range(max_steps + 1):
        F = tape(u)
        residuals.append(float(np.max(np.abs(F))))
        if residuals[-1] <= tol or step == max_steps:
            log(f"  step {step:2d}: max |F| = {residuals[-1]:.3e}")
            break
        t0 = time.perf_counter()
        J = tape.sparse_jacobian(u, plan=plan)
        jac_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        du = spsolve(J.tocsc(), F)
        t_solve = time.perf_counter() - t0
        log(f"  step {step:2d}: max |F| = {residuals[-1]:.3e}   Jacobian {fmt_time(jac_times[-1])}"
            f"   solve {fmt_time(t_solve)}")
        u = u - du
    return u, residuals, jac_times


def main(argv=None):
    import argparse
    extra = argparse.ArgumentParser(add_help=False)
    extra.add_argument("--n", type=int, default=None, help="interior grid size N (N^2 unknowns)")
    extra.add_argument("--lam", type=float, default=6.0, help="lambda (< 6.808 has a solution)")
    own, rest = extra.parse_known_args(argv)
    args = parse_args(__doc__.splitlines()[0], rest)
    N = own.n or (16 if args.quick else 300)
    t0 = time.perf_counter()
    tape, u0 = bratu(N, own.lam)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    plan = tape.sparse_plan()
    t_plan = time.perf_counter() - t0
    n = N * N
    print(f"Bratu, lambda = {own.lam}, N = {N}: {n} unknowns, tape of {tape.n_nodes} nodes "
          f"(recorded and compiled in {fmt_time(t_build)})")
    print(f"Jacobian pattern: {plan.pattern.nnz} nonzeros, {plan.n_colors} colors ({plan.mode} "
          f"mode), found in {fmt_time(t_plan)}; the dense Jacobian would take {n} sweeps and "
          f"{8 * n * n / 1e9:.3g} GB")
    u, residuals, jac_times = newton(tape, u0, plan)
    print(f"max u = {u.max():.6f}; median time per sparse Jacobian "
          f"{fmt_time(float(np.median(jac_times)))} ({plan.n_colors + 1} sweeps)")
    rates = [residuals[k + 1] / residuals[k] ** 2 for k in range(len(residuals) - 1)
             if residuals[k + 1] > 1e-13]
    print("residual_(k+1) / residual_k^2:", ", ".join(f"{r:.3g}" for r in rates))
    return {"N": N, "residuals": residuals, "jac_times": jac_times, "n_colors": plan.n_colors,
            "u": u, "tape": tape}


if __name__ == "__main__":
    main()
