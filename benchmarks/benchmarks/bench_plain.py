"""Plain calls beside the bind() callable and the hand-written loop (issues 17 and 18).

The plain ``tape.value_and_gradient(x)`` keeps its work arrays per tape and thread
(scalargraph/workmem.py), so it should cost what ``tape.bind()`` costs; a small tape takes
the packed kernel (kernels/packed.py). ``old_alloc`` is the plain call as it was before:
fresh work arrays every call (first-touching fresh pages). CasADi is optional: its rows
(``casadi_plain``: ``F(x)``; ``casadi_buffer``: ``F.buffer()``, value and gradient, on the same
graph built node for node, scalargraph/bench/peers_casadi.py) are skipped without it.
``python -m scalargraph.bench.peer_table`` times every column of issue 18 side by side.
"""

from functools import lru_cache

import numpy as np

from scalargraph import bench
from scalargraph.bench import peers
from scalargraph.kernels import sweeps

from .common import Benchmark, build, ns_per_node, ratio, sizes


def _about(name, n_nodes):
    """The workload with about ``n_nodes`` nodes (wide sum: 4 an input; toy model: 14 a
    data point)."""
    return build(name, {"wide_sum": n_nodes // 4, "toy_model": n_nodes // 14}.get(name, n_nodes))


@lru_cache(maxsize=2)
def _casadi(name, n_nodes):
    """CasADi Functions of ``_about(name, n_nodes)`` (seconds to build: made once per
    process), or asv's skip (NotImplementedError) without casadi."""
    try:
        from scalargraph.bench.peers_casadi import CasadiCalls
    except ImportError:
        raise NotImplementedError("casadi is not installed") from None
    w = _about(name, n_nodes)
    return CasadiCalls(w.tape, w.x)


def _old_alloc(tape, x):
    n = tape.n_nodes
    g = np.empty(tape.n_inputs)
    return sweeps.value_and_gradient(tape.op, tape.arg0, tape.arg1, tape.consts, tape.outputs, 0,
                                     np.empty(n), np.empty((n, 2)), np.empty(n), x, g)


class PlainCalls(Benchmark):
    """ns per node of each way to call value and gradient, on the peer workloads."""

    params = [["chain", "wide_sum", "toy_model", "random_dag"],
              ["plain", "bind", "old_alloc", "forward", "hand", "casadi_plain", "casadi_buffer",
               "casadi_buffer_forward"],
              sizes([10**5], [10**6])]
    param_names = ["workload", "call", "size"]

    def setup(self, name, call, size):
        w = _about(name, size)
        t, x = w.tape, w.x
        self.n = t.n_nodes
        if call == "plain":
            self.fn = lambda: t.value_and_gradient(x)
        elif call == "bind":
            f, g = t.bind(), np.empty(t.n_inputs)
            self.fn = lambda: f(x, g)
        elif call == "old_alloc":
            self.fn = lambda: _old_alloc(t, x)
        elif call == "forward":
            self.fn = lambda: t(x)
        elif call.startswith("casadi"):
            c = _casadi(name, size)
            self.fn = {"casadi_plain": c.plain_value_and_gradient,
                       "casadi_buffer": c.buffer_value_and_gradient,
                       "casadi_buffer_forward": c.buffer_forward}[call]
        elif name == "chain":
            steps = w.info["steps"]
            self.fn = lambda: bench.hand_chain_value_and_derivative(0.5, steps)
        elif name == "wide_sum":
            g = np.empty(t.n_inputs)
            self.fn = lambda: bench.hand_wide_sum_value_and_gradient(x, g)
        elif name == "toy_model":
            xd, yd, g = *peers.toy_data(w.size), np.empty(8)
            self.fn = lambda: peers.hand_toy_loss_value_and_gradient(x, xd, yd, g)
        else:
            raise NotImplementedError("no hand-written loop for this workload")
        self.fn()

    def time_call(self, name, call, size):
        self.fn()

    def track_ns_per_node(self, name, call, size):
        return ns_per_node(self.fn, self.n)

    track_ns_per_node.unit = "ns/node"


class PlainOverBind(Benchmark):
    """plain value_and_gradient / bind() callable, measured side by side (target <= 1.1)."""

    params = [["chain", "wide_sum", "toy_model", "random_dag"], sizes([10**5], [10**6, 10**7])]
    param_names = ["workload", "size"]
    timeout = 300

    def setup(self, name, size):
        w = _about(name, size)
        self.t, self.x = w.tape, w.x
        self.f, self.g = self.t.bind(), np.empty(self.t.n_inputs)
        self.t.value_and_gradient(self.x), self.t(self.x)

    def track_plain_over_bind(self, name, size):
        return ratio(lambda: self.t.value_and_gradient(self.x), lambda: self.f(self.x, self.g))

    track_plain_over_bind.unit = "ratio"

    def track_plain_over_forward(self, name, size):
        return ratio(lambda: self.t.value_and_gradient(self.x), lambda: self.t(self.x))

    track_plain_over_forward.unit = "ratio"


class PlainOverCasadi(Benchmark):
    """Plain calls / CasADi's buffer call on the same graph, side by side (issue 18 target:
    value and gradient below CasADi's buffer call). Skipped without casadi."""

    params = [["chain", "wide_sum", "toy_model", "random_dag"], sizes([10**5], [10**6])]
    param_names = ["workload", "size"]
    timeout = 300

    def setup(self, name, size):
        w = _about(name, size)
        self.c = _casadi(name, size)
        self.t, self.x = w.tape, w.x
        self.t.value_and_gradient(self.x), self.t(self.x)

    def track_value_and_gradient_over_casadi_buffer(self, name, size):
        return ratio(lambda: self.t.value_and_gradient(self.x), self.c.buffer_value_and_gradient)

    track_value_and_gradient_over_casadi_buffer.unit = "ratio"

    def track_forward_over_casadi_buffer(self, name, size):
        return ratio(lambda: self.t(self.x), self.c.buffer_forward)

    track_forward_over_casadi_buffer.unit = "ratio"


class SmallTape(Benchmark):
    """The 7-node Domke graph, value and gradient per call (issue 17 target: plain <= 1 us)."""

    params = [["plain", "bind", "kernel_from_python"]]
    param_names = ["call"]

    def setup(self, call):
        w = build("domke", 1)
        t, x = w.tape, w.x
        g = np.empty(1)
        if call == "plain":
            self.fn = lambda: t.value_and_gradient(x)
        elif call == "bind":
            f = t.bind()
            self.fn = lambda: f(x, g)
        else:
            args = t.bind().args
            self.fn = lambda: sweeps.value_and_gradient(*args, x, g)
        self.fn()

    def time_call(self, call):
        self.fn()


class ForwardJacobian(Benchmark):
    """Forward-mode Jacobian of the wide sum: ns per direction and node (flat in n)."""

    params = [sizes([1000, 3000, 10000], [30000, 100000])]
    param_names = ["n_inputs"]
    timeout = 600

    def setup(self, n):
        w = build("wide_sum", n)
        self.t, self.x = w.tape, w.x
        self.t.jacobian(self.x, mode="forward")

    def time_jacobian_forward(self, n):
        self.t.jacobian(self.x, mode="forward")

    def track_ns_per_direction_node(self, n):
        return ns_per_node(lambda: self.t.jacobian(self.x, mode="forward"), self.t.n_nodes * n,
                           budget=0.2)

    track_ns_per_direction_node.unit = "ns"
