"""Compile-time passes: constant folding and common-subexpression elimination (CSE).

Graphs with many duplicates or constant subexpressions, compiled with no pass, ``fold``,
``cse`` or both: ``time_compile`` measures ``sg.compile`` (the recording is built in setup,
untimed), ``track_nodes`` the tape's node count, ``track_overhead`` the compile time over
the time with no pass (one process, best of several repeats).

=================  =====================================================  ===================
graph              recorded                                               what merges / folds
=================  =====================================================  ===================
``sin_squares``    sum_i sin(x_i) * sin(x_i), 20 000 inputs               every second sin
``net_twice``      a 3-layer, 64-unit tanh network built twice on the     the whole second
                   same inputs (float weights), both outputs kept          copy
``const_coeffs``   sum_i (exp(c_i) * d_i) * x_i, c_i, d_i constant nodes  each coefficient
                   (20 000 terms)                                          subtree -> 1 node
=================  =====================================================  ===================

One table of every graph and pass, measured in one run, without asv (from the repository
root): ``python -m benchmarks.benchmarks.bench_optimize``.
"""

import numpy as np

import scalargraph as sg
from scalargraph import bench

from .common import Benchmark, ratio

PASSES = {"none": {}, "fold": {"fold": True}, "cse": {"cse": True},
          "fold+cse": {"fold": True, "cse": True}}


def sin_squares(n=20_000):
    x = sg.variables(n)
    return x, [sg.sum(sg.sin(x) * sg.sin(x))]


def net_twice(width=64, depth=3):
    rng = np.random.default_rng(0)
    weights = [(rng.normal(size=(width, width)) / np.sqrt(width), rng.normal(size=width))
               for _ in range(depth)]
    x = sg.variables(width)

    def net():
        h = x
        for W, b in weights:
            h = sg.tanh(sg.dense(W, h, b))
        return h

    return x, [net(), net()]


def const_coeffs(n=20_000):
    rng = np.random.default_rng(1)
    x = sg.variables(n)
    c, d = rng.uniform(-1.0, 1.0, size=n), rng.uniform(0.5, 2.0, size=n)
    terms = [(sg.exp(sg.const(c[i])) * sg.const(d[i])) * x[i] for i in range(n)]
    return x, [sg.sum(terms)]


GRAPHS = {"sin_squares": sin_squares, "net_twice": net_twice, "const_coeffs": const_coeffs}


def _best_times(fns, rounds=5, budget=0.05):
    """Seconds per call of each function, best of ``rounds`` rounds that take turns, so
    that a machine busy with other work slows all of them alike."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for k, fn in enumerate(fns):
            best[k] = min(best[k], bench.seconds(fn, budget))
    return best


class OptimizeCompile(Benchmark):
    """sg.compile with and without the passes, and the node counts they leave."""

    params = [list(GRAPHS), list(PASSES)]
    param_names = ["graph", "passes"]

    def setup(self, graph, passes):
        with sg.Graph():
            self.inputs, self.outputs = GRAPHS[graph]()
        self.flags = PASSES[passes]
        self.tape = sg.compile(self.inputs, self.outputs, **self.flags)   # warms the JIT

    def time_compile(self, graph, passes):
        sg.compile(self.inputs, self.outputs, **self.flags)

    def track_nodes(self, graph, passes):
        return self.tape.n_nodes
    track_nodes.unit = "nodes"

    def track_overhead(self, graph, passes):
        return ratio(lambda: self.time_compile(graph, passes),
                     lambda: sg.compile(self.inputs, self.outputs))
    track_overhead.unit = "compile time / compile time without passes"


def main():
    """Node counts and compile-time ratios of every graph and pass, measured in one run."""
    print(f"{'graph':14s}{'passes':10s}{'nodes':>9s}{'before':>9s}{'after fold':>12s}"
          f"{'after cse':>11s}{'compile ms':>12s}{'ns/node':>9s}{'/ none':>8s}")
    for graph in GRAPHS:
        bench = OptimizeCompile()
        bench.setup(graph, "none")
        tapes, calls = {}, []
        for passes, flags in PASSES.items():
            tapes[passes] = sg.compile(bench.inputs, bench.outputs, **flags)
            calls.append(lambda flags=flags: sg.compile(bench.inputs, bench.outputs, **flags))
        times = dict(zip(PASSES, _best_times(calls)))
        for passes, tape in tapes.items():
            s = tape.compile_stats or {"nodes_before": tape.n_nodes}
            t = times[passes]
            print(f"{graph:14s}{passes:10s}{tape.n_nodes:9d}{s['nodes_before']:9d}"
                  f"{str(s.get('after_fold')):>12s}{str(s.get('after_cse')):>11s}"
                  f"{t * 1e3:12.2f}{t / s['nodes_before'] * 1e9:9.1f}{t / times['none']:8.2f}")


if __name__ == "__main__":
    main()
