"""Compile every kernel ahead of time: ``python -m scalargraph warmup`` (or ``scalargraph.warmup()``).

Numba compiles a kernel at its first call and caches it on disk (see
:mod:`scalargraph.kernels`), so a fresh install pays the compile once, spread over the first
call of each feature. This runs each public feature once on a tiny tape, so that every kernel
is compiled and cached with the argument types the public methods pass, and later runs
start at once.
"""

import importlib.util
import sys
import time

import numpy as np

# (what, code run on the tiny tape `t` at point `p`, direction `v`, points `X`)
_FEATURES = (
    ("compile", "t = sg.compile([x, y], [f, f * y]); sg.order.locality(t)"),
    ("load", "sg.Tape(t.op, t.arg0, t.arg1, t.consts, t.outputs)"),
    ("values", "t(p); t.values(p); sg.compile([x, y], [f])(p)"),
    ("gradient", "t.gradient(p, output=0); t.value_and_gradient(p, output=0); t.bind(0)(p, g); "
                 "sg.compile([x, y], [f]).value_and_gradient(p)"),
    ("reverse mode", "t.vjp(p, [1.0, 2.0]); t.adjoints(p, output=0)"),
    ("forward mode", "t.jvp(p, v); t.tangents(p, v)"),
    ("jacobians", "t.jacobian(p, mode='forward'); t.jacobian(p, mode='reverse')"),
    ("second order", "t.hvp(p, v, output=0); t.hessian(p, output=0)"),
    ("batches", "t(X); t.values(X); t.gradient(X, output=0); t.gradient_sum(X, output=0)"),
    ("checkpoints", "t.gradient(p, output=0, checkpoints=2)"),
    ("optimize", "sg.optimize(t)"),
    ("paths", "sg.path_gradient(t, p, output=0); sg.count_paths(t, output=0)"),
    ("sparse", "t.jacobian_sparsity(method='forward'); t.jacobian_sparsity(method='reverse'); "
               "t.sparse_jacobian(p, mode='forward'); t.sparse_jacobian(p, mode='reverse'); "
               "t.sparse_jacobian(p); t.sparse_hessian(p, output=0)"),
)
# what a feature needs beyond numba and numpy: without it the feature is skipped, and says so
_NEEDS = {"sparse": "scipy"}


def _installed(module):
    return importlib.util.find_spec(module) is not None


def warmup(progress=True, stream=None):
    """Compile (or load from the disk cache) every kernel the public API uses.

    Parameters
    ----------
    progress : bool
        Print a progress line per feature to ``stream`` (default: stderr).

    Returns
    -------
    dict of feature name -> seconds it took (compiling, or loading from the cache).

    Cost: about 60 s of CPU compiling on an empty cache (the sparse kernels about 8 s of it;
    70 s on a busy 2-core machine), under a second once cached. Without SciPy the sparse
    kernels are skipped (and said to be).
    """
    import scalargraph as sg
    from . import kernels
    stream = sys.stderr if stream is None else stream
    # The first compile's one-line notice ends "`python -m scalargraph warmup` compiles them
    # all ahead of time": here that is the command running, whose lines say it better.
    kernels.skip_compile_notice()
    # The tiny tape here would run sg.compile's scans in the interpreter
    # (kernels.small_or_compiled): compile them, as every other kernel.
    first_calls, kernels.FIRST_CALLS = kernels.FIRST_CALLS, 0
    try:
        return _run(sg, stream, progress)
    finally:
        kernels.FIRST_CALLS = first_calls


def _run(sg, stream, progress):
    """Each feature of ``_FEATURES`` once, on a tiny tape; its seconds by name."""
    from .kernels import cache_dir
    with sg.Graph():
        x, y = sg.var("x"), sg.var("y")
        f = sg.exp(sg.sin(x) * y) + sg.maximum(x, 0.5) ** 2 - 1.0 / (y + 3.0)
        env = {"sg": sg, "x": x, "y": y, "f": f, "p": np.array([0.3, 0.7]),
               "v": np.array([1.0, -0.5]), "g": np.empty(2),
               "X": np.random.default_rng(0).normal(size=(8, 2))}
        times = {}
        total = len(_FEATURES)
        skipped = []
        for k, (name, code) in enumerate(_FEATURES, 1):
            start = time.perf_counter()
            need = _NEEDS.get(name)
            if need is None or _installed(need):
                exec(code, env)
                times[name] = time.perf_counter() - start
            else:
                skipped.append(f"{name} (needs {need})")
            if progress:
                bar = "#" * k + "." * (total - k)
                print(f"\rscalargraph warmup [{bar}] {k}/{total} {name:<13} "
                      f"{times.get(name, 0.0):5.1f} s", end="" if k < total else "\n",
                      file=stream, flush=True)
    if progress:
        print(f"kernels cached in {cache_dir()} ({sum(times.values()):.1f} s)"
              + (f"; skipped: {', '.join(skipped)}" if skipped else ""), file=stream)
    return times


def main(argv=None):
    import argparse
    parser = argparse.ArgumentParser(prog="python -m scalargraph warmup",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    warmup(progress=not args.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
