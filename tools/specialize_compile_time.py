"""Compile time of Tape.specialize against node count (issue 17's curve).

    python tools/specialize_compile_time.py [SIZES ...]

For each size, a fresh interpreter with an empty cache folder builds a random tape over every
op (tests/strategies.py, 8 inputs, 1 output), specializes it and times the first call of each
pass (value, value-and-gradient, jvp): Numba's front end + LLVM, no disk cache. A second
process then times the same calls loaded from the disk cache. Prints one line per size.
"""

import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = r"""
import sys, time
import numpy as np
sys.path[:0] = [{root!r}, {tests!r}]
import strategies
tape, x = strategies.random_tape(np.random.default_rng({n}), 8, {n}, 1)
from scalargraph.kernels import straight
straight.sz(1.0, 1.0); straight.unary(17.0, 1.0); straight.binary(7.0, 1.0, 2.0)
straight.unary_d(17.0, 1.0); straight.binary_d0(7.0, 1.0, 2.0); straight.binary_d1(7.0, 1.0, 2.0)
straight.const_right(29.0, 1.0, 0.5); straight.const_right_d(29.0, 1.0, 0.5)
t0 = time.perf_counter(); spec = tape.specialize(max_nodes=10**6); t1 = time.perf_counter()
spec(x); t2 = time.perf_counter()
spec.value_and_gradient(x); t3 = time.perf_counter()
spec.jvp(x, np.ones(8)); t4 = time.perf_counter()
print(tape.n_nodes, round(t1 - t0, 3), round(t2 - t1, 2), round(t3 - t2, 2), round(t4 - t3, 2))
"""


def main(sizes):
    print("nodes  write_s  values_s  value_and_gradient_s  jvp_s   (then: loaded from cache)")
    for n in sizes:
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ, NUMBA_CACHE_DIR=cache, SCALARGRAPH_QUIET="1")
            env.pop("SCALARGRAPH_CACHE_DIR", None)
            code = CHILD.format(root=ROOT, tests=os.path.join(ROOT, "tests"), n=n)
            for label in ("compile", "cached"):
                out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                     text=True, check=True).stdout.strip()
                print(f"{label:8s} {out}", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [25, 50, 100, 200, 400, 800])
