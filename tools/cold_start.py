"""First-call cost of every public feature on an empty Numba cache.

    python tools/cold_start.py [--repeat N] [--isolated]

Each run starts a fresh Python process with a new, empty cache folder (``NUMBA_CACHE_DIR``
and ``SCALARGRAPH_CACHE_DIR`` both pointed at it), builds the 7-node Domke tape and calls
the public features one after another, timing each first call and then a second call of
the same feature; the first minus the second is what compiling (or loading the cache) cost.
A second process with the same cache folder then repeats the sequence warm.

``--isolated`` runs each feature alone, in its own fresh process and empty cache, after
only ``sg.compile``: the compile cost a user pays who calls just that feature.
Prints one table; ``--repeat N`` gives the median of N runs per row.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

STEPS = [
    ("import scalargraph", None),
    ("compile", "tape = sg.compile([x, y], [f])"),
    ("tape(x)", "tape(p)"),
    ("values", "tape.values(p)"),
    ("gradient", "tape.gradient(p)"),
    ("value_and_gradient", "tape.value_and_gradient(p)"),
    ("jvp", "tape.jvp(p, v)"),
    ("vjp", "tape.vjp(p, [1.0])"),
    ("adjoints", "tape.adjoints(p)"),
    ("tangents", "tape.tangents(p, v)"),
    ("jacobian (forward)", "tape.jacobian(p, mode='forward')"),
    ("jacobian (reverse)", "tape.jacobian(p, mode='reverse')"),
    ("hvp", "tape.hvp(p, v)"),
    ("hessian", "tape.hessian(p)"),
    ("batch tape(X)", "tape(X)"),
    ("batch gradient", "tape.gradient(X)"),
    ("gradient_sum", "tape.gradient_sum(X)"),
    ("gradient(checkpoints=2)", "tape.gradient(p, checkpoints=2)"),
    ("optimize", "sg.optimize(tape)"),
    ("bind", "tape.bind()(p, g)"),
    ("save + load", "tape.save(path); sg.load(path)(p)"),
    ("sg.grad + compile", "sg.compile([x, y], [sg.grad(f, x)])(p)"),
    ("path_gradient", "sg.path_gradient(tape, p)"),
]

PRELUDE = """
import json, os, sys, time, tempfile
t0 = time.perf_counter()
import numpy as np
import scalargraph as sg
times = {"import scalargraph": (time.perf_counter() - t0, 0.0)}
x, y = sg.var("x"), sg.var("y")
f1 = sg.exp(x) * y; f3 = f1 + f1 ** 2
f = sg.exp(f3) + sg.sin(f3)
p = np.array([0.3, 0.7]); v = np.array([1.0, -0.5]); g = np.empty(2)
X = np.random.default_rng(0).normal(size=(64, 2)) * 0.3
path = os.path.join(tempfile.mkdtemp(), "t.tape")
"""

RUN = """
def timed(code):
    t = time.perf_counter(); exec(code, globals()); return time.perf_counter() - t
for name, code in json.loads(sys.argv[1]):
    first = timed(code)
    times[name] = (first, timed(code))
print(json.dumps(times))
"""


def _run(steps, cache):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache, SCALARGRAPH_CACHE_DIR=cache)
    out = subprocess.run([sys.executable, "-c", PRELUDE + RUN, json.dumps(steps)], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(isolated):
    """{feature: (cold first call, cold second call, warm first call)} in seconds."""
    steps = [(n, c) for n, c in STEPS if c is not None]
    result = {}
    groups = [steps[:1] + [s] for s in steps[1:]] if isolated else [steps]
    for group in groups:
        with tempfile.TemporaryDirectory() as cache:
            cold = _run(group, cache)
            warm = _run(group, cache)
        for name in cold:
            if name in result and name == "import scalargraph":
                continue
            result[name] = (cold[name][0], cold[name][1], warm[name][0])
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--isolated", action="store_true")
    args = parser.parse_args(argv)
    runs = [measure(args.isolated) for _ in range(args.repeat)]
    print(f"{'feature':28} {'cold 1st':>9} {'cold 2nd':>9} {'warm 1st':>9}   (seconds, median of "
          f"{args.repeat})")
    total = [0.0, 0.0]
    for name in runs[0]:
        cols = [statistics.median(r[name][k] for r in runs) for k in range(3)]
        total[0] += cols[0]
        total[1] += cols[2]
        print(f"{name:28} {cols[0]:9.3f} {cols[1]:9.4f} {cols[2]:9.3f}")
    print(f"{'total':28} {total[0]:9.3f} {'':9} {total[1]:9.3f}")


if __name__ == "__main__":
    main()
