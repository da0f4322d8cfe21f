"""Time to solution on the chained Rosenbrock function, scalargraph against SciPy's hand-written
derivatives (and JAX when it is installed), and the per-call cost of a function transform.

    python benchmarks/rosenbrock.py              # n = 10^4 variables, 3 interleaved repeats
    python benchmarks/rosenbrock.py --n 1000 --repeats 5
    python benchmarks/rosenbrock.py --quick      # n = 100, one repeat (the tests run this)

f(x) = sum_i 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2, in two scenarios: n = 10^4 (``--n``) from
SciPy's tutorial start (1.3, 0.7, 0.8, 1.9, 1.2) repeated, where both methods converge in
tens of iterations; and n = 10^3 from the classic start (-1.2, 1, -1.2, 1, ...), where
L-BFGS-B needs thousands of iterations, so the cost per call shows. SciPy ships ``rosen``,
``rosen_der`` and ``rosen_hess_prod``, vectorized NumPy
written by hand: the reference a tape has to be compared with. The scalargraph objective is
the same formula traced once (``sg.trace``) to a tape of ~6n nodes; ``tape.as_scipy()``
gives ``fun``/``jac`` sharing one fused sweep per point, and ``hessp`` by forward-over-reverse.

Every solver run starts from the same x0 with the same options; the variants run
interleaved (A B C A B C ...) so that machine noise hits them alike, and the table gives the
median and min of the repeats, the iterations, function and gradient evaluations, and the
final f and max|x - 1| (both should find the same minimum, x = 1).
"""

import argparse
import os
import statistics
import sys
import time
import timeit

# One BLAS thread: L-BFGS-B's own linear algebra is on vectors of n and a few columns, and on
# a busy machine OpenBLAS's spinning thread pool made SciPy's L-BFGS-B 60-100x slower
# (n = 100: 9.8 s instead of 0.15 s for the same 513 iterations, measured here).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, __file__.rsplit("/benchmarks/", 1)[0])  # run from a checkout
import scalargraph as sg  # noqa: E402

try:
    from scipy import optimize
except ImportError:  # pragma: no cover
    sys.exit("this benchmark needs SciPy: pip install scipy")


def rosen(x):
    """The chained Rosenbrock function on a NodeArray (the formula of scipy.optimize.rosen)."""
    return sg.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def variants(n):
    """name -> (method, function returning minimize's keyword arguments); fresh per run."""
    out = {}
    tape = sg.trace(rosen, n)
    out["L-BFGS-B", "SciPy rosen, rosen_der"] = lambda: dict(fun=optimize.rosen,
                                                            jac=optimize.rosen_der)
    out["L-BFGS-B", "scalargraph fun + jac"] = lambda: tape.as_scipy().kwargs("L-BFGS-B")
    out["L-BFGS-B", "scalargraph jac=True"] = lambda: dict(fun=tape.as_scipy().fun_and_jac,
                                                          jac=True)
    out["Newton-CG", "SciPy rosen, rosen_der, rosen_hess_prod"] = lambda: dict(
        fun=optimize.rosen, jac=optimize.rosen_der, hessp=optimize.rosen_hess_prod)
    out["Newton-CG", "scalargraph fun + jac + hessp"] = lambda: tape.as_scipy().kwargs(
        "Newton-CG")
    try:
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)

        def jrosen(x):
            return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

        vg = jax.jit(jax.value_and_grad(jrosen))
        hvp = jax.jit(lambda x, p: jax.jvp(jax.grad(jrosen), (x,), (p,))[1])

        def jfun(x):
            v, g = vg(x)
            return float(v), np.asarray(g)

        out["L-BFGS-B", "JAX jit(value_and_grad)"] = lambda: dict(fun=jfun, jac=True)
        out["Newton-CG", "JAX jit(value_and_grad), jvp of grad"] = lambda: dict(
            fun=jfun, jac=True, hessp=lambda x, p: np.asarray(hvp(x, p)))
    except ImportError:
        pass
    return tape, out


def solve(method, kwargs, x0):
    options = {"maxiter": 100000}
    if method == "L-BFGS-B":
        options["maxfun"] = 100000
    start = time.perf_counter()
    result = optimize.minimize(x0=x0, method=method, options=options, **kwargs)
    return time.perf_counter() - start, result


def starts(n, classic):
    if classic:
        return np.tile([-1.2, 1.0], n // 2 + 1)[:n]
    return np.tile([1.3, 0.7, 0.8, 1.9, 1.2], n // 5 + 1)[:n]


def time_to_solution(n, repeats, classic=False):
    x0 = starts(n, classic)
    t0 = time.perf_counter()
    tape, runs = variants(n)
    build = time.perf_counter() - t0
    for (method, _), make in runs.items():  # warm-up: compile kernels, JIT, caches
        optimize.minimize(x0=x0, method=method, options={"maxiter": 3}, **make())
    sys.stderr.write(f"n = {n}: warmed up\n")
    times = {key: [] for key in runs}
    results = {}
    for r in range(repeats):
        for key, make in runs.items():
            seconds, results[key] = solve(key[0], make(), x0)
            times[key].append(seconds)
            print(f"  repeat {r + 1}/{repeats}: {key[0]}, {key[1]}: {seconds:.3f} s",
                  file=sys.stderr, flush=True)
    return tape, build, times, results


def per_call(n, number):
    """Seconds per value-and-gradient call, min over 7 interleaved repeats of ``number`` calls."""
    tape = sg.trace(rosen, n)
    f = sg.value_and_grad(rosen)
    bound = tape.bind()
    x = np.linspace(-1.0, 1.0, n)
    grad = np.empty(n)
    calls = {
        "SciPy rosen + rosen_der": lambda: (optimize.rosen(x), optimize.rosen_der(x)),
        "tape.bind() (preallocated)": lambda: bound(x, grad),
        "tape.value_and_gradient(x)": lambda: tape.value_and_gradient(x),
        "sg.value_and_grad(f)(x)": lambda: f(x),
    }
    for fn in calls.values():
        fn()
    best = {k: np.inf for k in calls}
    for _ in range(7):
        for k, fn in calls.items():
            best[k] = min(best[k], timeit.timeit(fn, number=number) / number)
    return best, tape.n_nodes


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=10_000, help="variables (default 10^4)")
    p.add_argument("--repeats", type=int, default=3, help="interleaved repeats (default 3)")
    p.add_argument("--quick", action="store_true", help="n = 100, one repeat")
    args = p.parse_args(argv)
    n, repeats = (100, 1) if args.quick else (args.n, args.repeats)
    rows = {}
    for size, classic in ((n, False), (100 if args.quick else 1000, True)):
        rows.update(scenario(size, repeats, classic))
    print("\nper call, value and gradient (min of 7 interleaved repeats):\n")
    print("| n | call | us per call |")
    print("|---|---|---|")
    for m in ((2, n) if not args.quick else (2, 100)):
        best, _ = per_call(m, 20000 if m < 100 else max(20, 2_000_000 // (m * 6)))
        for k, s in best.items():
            print(f"| {m} | {k} | {s * 1e6:.2f} |")
    return rows


def scenario(n, repeats, classic):
    tape, build, times, results = time_to_solution(n, repeats, classic)
    start = "(-1.2, 1, ...)" if classic else "(1.3, 0.7, 0.8, 1.9, 1.2, ...)"
    print(f"\nchained Rosenbrock, n = {n}, x0 = {start}: tape of {tape.n_nodes} nodes, traced "
          f"+ compiled in {build * 1e3:.0f} ms; {repeats} interleaved repeat(s)\n")
    print("| method | derivatives | median s | min s | vs SciPy | iterations | f evals | "
          "grad evals | f final | max abs(x - 1) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    rows = {}
    for (method, name), ts in times.items():
        r = results[method, name]
        med = statistics.median(ts)
        ref = statistics.median(next(v for (m, nm), v in times.items()
                                     if m == method and nm.startswith("SciPy")))
        rows[n, classic, method, name] = med
        print(f"| {method} | {name} | {med:.3f} | {min(ts):.3f} | {med / ref:.2f} | {r.nit} | "
              f"{r.nfev} | {getattr(r, 'njev', 0)} | {r.fun:.2e} | "
              f"{np.max(np.abs(r.x - 1.0)):.1e} |")
    return rows


if __name__ == "__main__":
    main()
