"""Sparse Jacobians: one sweep per color, flat in the number of unknowns.

The claim: on the 2-D Bratu residual (5-point stencil, N^2 unknowns) and on a banded chain
(bandwidth 2), the sparse Jacobian costs one linearization plus one tangent sweep per color
(5 for both, whatever the size), so its time per tape node stays flat as the unknowns grow
from 10^2 to 10^6, while the dense Jacobian needs one sweep per unknown: its time per node
grows like the unknowns (``track_dense_over_sparse``). The pattern itself (index sets over
the tape) is a one-off cost per tape, reported per node. CasADi's SX sparse Jacobian of the
same residual is the optional peer (skipped when casadi is not installed).
"""

from functools import lru_cache
import math
import pickle

import numpy as np

from scalargraph.bench.stencils import bratu, banded_chain, casadi_bratu_jacobian

from scalargraph import bench

from .common import Benchmark, ns_per_node, ratio, sizes

WORKLOADS = ["bratu", "banded_chain"]


@lru_cache(maxsize=4)
def _build(name, unknowns):
    if name == "bratu":
        N = max(1, round(math.sqrt(unknowns)))
        tape, _ = bratu(N)
        x = np.random.default_rng(0).uniform(0.0, 0.5, N * N)
    else:
        tape, x = banded_chain(unknowns, 2)
    return tape, x, tape.sparse_plan()


class SparseJacobian(Benchmark):
    """Sparse Jacobian with a plan made once: time, colors, time per node per sweep."""

    params = [WORKLOADS, sizes([10**2, 10**3, 10**4, 10**5], [10**6])]
    param_names = ["workload", "unknowns"]
    timeout = 300

    def setup(self, name, unknowns):
        self.tape, self.x, self.plan = _build(name, unknowns)
        self.tape.sparse_jacobian(self.x, plan=self.plan)

    def time_sparse_jacobian(self, name, unknowns):
        self.tape.sparse_jacobian(self.x, plan=self.plan)

    def track_colors(self, name, unknowns):
        return self.plan.n_colors

    track_colors.unit = "colors"

    def track_sparse_ns_per_node(self, name, unknowns):
        return ns_per_node(lambda: self.tape.sparse_jacobian(self.x, plan=self.plan),
                           self.tape.n_nodes)

    track_sparse_ns_per_node.unit = "ns/node"

    def track_pattern_ns_per_node(self, name, unknowns):
        return ns_per_node(lambda: self.tape.jacobian_sparsity(), self.tape.n_nodes)

    track_pattern_ns_per_node.unit = "ns/node"

    def track_plan_ns_per_node(self, name, unknowns):
        """Pattern + coloring: what a new tape pays once."""
        return ns_per_node(lambda: self.tape.sparse_plan(), self.tape.n_nodes)

    track_plan_ns_per_node.unit = "ns/node"

    def track_plan_check_over_jacobian(self, name, unknowns):
        """The check a plan passes at its first use after a pickle, a copy or a change (its
        pattern, its coloring), against one sparse Jacobian: what an unpickled plan adds
        once. (Later uses compare identities only.)"""
        blob = pickle.dumps(self.plan, 4)

        def first_check():
            pickle.loads(blob)._check(self.tape)

        def load_only():
            pickle.loads(blob)

        check = bench.seconds(first_check, 0.05) - bench.seconds(load_only, 0.05)
        return max(check, 0.0) / bench.seconds(
            lambda: self.tape.sparse_jacobian(self.x, plan=self.plan), 0.05)

    track_plan_check_over_jacobian.unit = "check / Jacobian"


class DenseJacobian(Benchmark):
    """The dense Jacobian (one sweep per unknown), up to 10^4 unknowns (800 MB)."""

    params = [WORKLOADS, [10**2, 10**3, 10**4]]
    param_names = ["workload", "unknowns"]
    timeout = 600

    def setup(self, name, unknowns):
        self.tape, self.x, self.plan = _build(name, unknowns)

    def time_dense_jacobian(self, name, unknowns):
        self.tape.jacobian(self.x)

    def track_dense_over_sparse(self, name, unknowns):
        return ratio(lambda: self.tape.jacobian(self.x),
                     lambda: self.tape.sparse_jacobian(self.x, plan=self.plan), budget=0.2)

    track_dense_over_sparse.unit = "ratio"


class CasadiSparseJacobian(Benchmark):
    """CasADi's SX sparse Jacobian of the Bratu residual (setup builds it symbolically)."""

    params = [sizes([10**2, 10**3, 10**4, 10**5], [10**6])]
    param_names = ["unknowns"]
    timeout = 600

    def setup(self, unknowns):
        try:
            self.call, _, x = casadi_bratu_jacobian(max(1, round(math.sqrt(unknowns))))
        except ImportError:
            raise NotImplementedError("casadi is not installed") from None
        x[:] = np.random.default_rng(0).uniform(0.0, 0.5, x.size)
        self.call()

    def time_casadi_jacobian(self, unknowns):
        self.call()
