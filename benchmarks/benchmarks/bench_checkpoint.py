"""Checkpointing: peak work memory and time of Tape.gradient(x, checkpoints=k) against k, on
the chain workload (10^6 nodes; 10^7 with the full grid), next to the model's prediction.

Prediction (scalargraph.checkpoint): work memory 41 B per node of the longest segment plus
16 B per checkpoint, i.e. about 41 n / k + 16 k bytes on a chain, least near k = sqrt(n);
time the plain gradient plus one values-only forward pass over k - 1 of the k segments.
k = 0 stands for the plain sweep (32 B/node).
"""

import numpy as np

from scalargraph import checkpoint
from scalargraph.bench import work_bytes

from .common import Benchmark, FULL, build, ratio, warm

N_NODES = 10**7 if FULL else 10**6


class Checkpointing(Benchmark):
    """The memory-time trade-off of checkpointed gradients on one long chain."""

    params = [[0, 1, 10, 100, 1000, 10**4, 10**5]]
    param_names = ["checkpoints"]
    timeout = 600 if FULL else 300

    def setup_cache(self):
        return build("chain", N_NODES).tape  # pickled as its arrays, built once

    def setup(self, tape, k):
        self.tape, self.x = tape, np.array([0.5])
        self.k = k or None
        warm(self.tape, self.x)
        if self.k:
            self.plan = checkpoint.plan(self.tape, self.k)
        self.tape.gradient(self.x, checkpoints=self.k)

    def time_gradient(self, tape, k):
        self.tape.gradient(self.x, checkpoints=self.k)

    def peakmem_gradient(self, tape, k):
        self.tape.gradient(self.x, checkpoints=self.k)

    def track_work_bytes(self, tape, k):
        return work_bytes(lambda: self.tape.gradient(self.x, checkpoints=self.k))

    track_work_bytes.unit = "bytes"

    def track_predicted_work_bytes(self, tape, k):
        return self.plan.work_bytes if self.k else 32 * self.tape.n_nodes

    track_predicted_work_bytes.unit = "bytes"

    def track_time_over_plain(self, tape, k):
        return ratio(lambda: self.tape.gradient(self.x, checkpoints=self.k),
                     lambda: self.tape.gradient(self.x))

    track_time_over_plain.unit = "ratio"

    def track_predicted_time_over_plain(self, tape, k):
        if not self.k:
            return 1.0
        share = (self.plan.k - 1) / self.plan.k
        return 1.0 + share * ratio(lambda: self.tape(self.x), lambda: self.tape.gradient(self.x))

    track_predicted_time_over_plain.unit = "ratio"
