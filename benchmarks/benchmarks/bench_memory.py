"""Claim 5: memory is the price of reverse mode -- work memory of each mode against size."""

import numpy as np

from scalargraph.bench import work_bytes

from .common import Benchmark, FULL, build, sizes, warm


class WorkMemory(Benchmark):
    """Chain h <- sin(h) * 0.999 + 1e-5: memory of one forward, reverse, tangent call.

    ``peakmem_*`` is asv's peak resident memory of the benchmark process (the graph and
    tape built in setup included); ``track_*_bytes_per_node`` is the peak of what the call
    itself allocates (tracemalloc), per tape node.
    """

    params = [sizes([10**4, 10**5, 10**6], [10**7])]
    param_names = ["n_nodes"]
    timeout = 300 if FULL else 120

    def setup(self, n):
        w = build("chain", n)
        self.tape, self.x = w.tape, w.x
        self.v = np.ones(1)
        warm(self.tape, self.x)

    def peakmem_forward(self, n):
        self.tape(self.x)

    def peakmem_reverse(self, n):
        self.tape.gradient(self.x)

    def peakmem_tangent(self, n):
        self.tape.jvp(self.x, self.v)

    def track_forward_bytes_per_node(self, n):
        return work_bytes(lambda: self.tape(self.x)) / self.tape.n_nodes

    track_forward_bytes_per_node.unit = "bytes/node"

    def track_reverse_bytes_per_node(self, n):
        return work_bytes(lambda: self.tape.gradient(self.x)) / self.tape.n_nodes

    track_reverse_bytes_per_node.unit = "bytes/node"

    def track_tangent_bytes_per_node(self, n):
        return work_bytes(lambda: self.tape.jvp(self.x, self.v)) / self.tape.n_nodes

    track_tangent_bytes_per_node.unit = "bytes/node"
