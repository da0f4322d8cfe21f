"""Claim 4, linear in the graph: forward, reverse and tangent sweeps against graph size."""

import numpy as np

from .common import Benchmark, FULL, ns_per_node, ratio, sizes, warm, with_nodes


class Sweeps(Benchmark):
    """One call of each sweep on graphs of 10^3 .. 10^5 nodes (10^7 with the full grid)."""

    params = [["chain", "wide_sum", "random_dag"], sizes([10**3, 10**4, 10**5], [10**6, 10**7])]
    param_names = ["workload", "n_nodes"]
    timeout = 300 if FULL else 120

    def setup(self, name, n_nodes):
        w = with_nodes(name, n_nodes)
        self.tape, self.x = w.tape, w.x
        self.v = np.ones(w.tape.n_inputs)
        warm(self.tape, self.x)

    def time_forward(self, name, n_nodes):
        self.tape(self.x)

    def time_reverse(self, name, n_nodes):
        self.tape.gradient(self.x)

    def time_tangent(self, name, n_nodes):
        self.tape.jvp(self.x, self.v)

    def track_reverse_over_forward(self, name, n_nodes):
        return ratio(lambda: self.tape.gradient(self.x), lambda: self.tape(self.x))

    track_reverse_over_forward.unit = "ratio"

    def track_tangent_over_forward(self, name, n_nodes):
        return ratio(lambda: self.tape.jvp(self.x, self.v), lambda: self.tape(self.x))

    track_tangent_over_forward.unit = "ratio"

    def track_forward_ns_per_node(self, name, n_nodes):
        return ns_per_node(lambda: self.tape(self.x), self.tape.n_nodes)

    track_forward_ns_per_node.unit = "ns/node"

    def track_reverse_ns_per_node(self, name, n_nodes):
        return ns_per_node(lambda: self.tape.gradient(self.x), self.tape.n_nodes)

    track_reverse_ns_per_node.unit = "ns/node"

    def track_tangent_ns_per_node(self, name, n_nodes):
        return ns_per_node(lambda: self.tape.jvp(self.x, self.v), self.tape.n_nodes)

    track_tangent_ns_per_node.unit = "ns/node"
