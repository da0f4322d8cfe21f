"""Build, compile and differentiate a 10^7-node graph; print time and peak memory per stage.

    python benchmarks/scale_10m.py [--nodes 1e7]

The graph is a deep ReLU network recorded with the vectorized builders (100 units per
layer, 2 nodes per weight), so most of its nodes are multiply-by-constant and add nodes.
Peak memory is the process's maximum resident set size (Linux ru_maxrss), so each stage's
figure includes everything allocated before it.
"""

import argparse
import resource
import time

import numpy as np

import scalargraph as sg


def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=float, default=1e7, help="approximate graph size")
    args = parser.parse_args(argv)
    width = 100
    layers = max(1, int(args.nodes // (2 * width * width)))
    rng = np.random.default_rng(0)

    warm = sg.variables(2)  # compile the kernels before measuring
    sg.compile(warm, sg.sum(sg.relu(warm))).gradient([1.0, 2.0])
    sg.reset_default_graph()
    base = peak_mib()
    print(f"{'stage':<10} {'seconds':>8} {'peak MiB':>9} {'B/node':>7}")

    t0 = time.perf_counter()
    x = sg.variables(width)
    h = x
    for _ in range(layers):
        h = sg.relu(rng.normal(size=(width, width)) * np.sqrt(2 / width) @ h)
    loss = sg.sum(h)
    t1 = time.perf_counter()
    n_rec = len(sg.current_graph())
    print(f"{'build':<10} {t1 - t0:8.2f} {peak_mib():9.0f} "
          f"{(peak_mib() - base) * 2**20 / n_rec:7.1f}   ({n_rec:,} recorded nodes)")

    t0 = time.perf_counter()
    tape = sg.compile(x, loss)
    t1 = time.perf_counter()
    print(f"{'compile':<10} {t1 - t0:8.2f} {peak_mib():9.0f} {tape.nbytes / tape.n_nodes:7.1f}"
          f"   (tape bytes per node; {(t1 - t0) / tape.n_nodes * 1e9:.0f} ns/node)")

    v = rng.normal(size=width)
    # The first call of each touches freshly mapped memory (8 and 32 B/node of work
    # arrays); on a virtual machine that can cost more than the sweep, so time a second too.
    for stage, call in (("forward", lambda: tape(v)), ("gradient", lambda: tape.gradient(v))):
        times = []
        for _ in range(2):
            t0 = time.perf_counter()
            call()
            times.append(time.perf_counter() - t0)
        print(f"{stage:<10} {times[1]:8.2f} {peak_mib():9.0f}   "
              f"{times[1] / tape.n_nodes * 1e9:5.1f} ns/node (first call "
              f"{times[0] / tape.n_nodes * 1e9:.1f})")
    print(f"peak resident memory {peak_mib() / 1024:.2f} GiB for {tape.n_nodes:,} tape nodes")


if __name__ == "__main__":
    main()
