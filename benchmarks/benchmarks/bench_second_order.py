"""Second order: Hessian-vector products by forward-over-reverse against the gradient, the
symbolic alternative (jvp of the compiled gradient graph), Hessians, and sg.grad itself."""

import numpy as np

from scalargraph import second_order
from scalargraph.bench import work_bytes

from .common import Benchmark, FULL, build, ratio, sizes, warm, with_nodes


class HessianVector(Benchmark):
    """One H v by forward-over-reverse, against one gradient, as the graph grows.

    The claim: a small constant times the gradient, whatever the size (three sweeps, the
    middle one with the op's second partials).
    """

    params = [["chain", "random_dag", "wide_sum"], sizes([10**3, 10**4, 10**5], [10**6])]
    param_names = ["workload", "n_nodes"]
    timeout = 300 if FULL else 120

    def setup(self, name, n_nodes):
        w = with_nodes(name, n_nodes)
        self.tape, self.x = w.tape, w.x
        self.v = np.linspace(-1.0, 1.0, w.tape.n_inputs)
        warm(self.tape, self.x)
        self.tape.hvp(self.x, self.v)

    def time_gradient(self, name, n_nodes):
        self.tape.gradient(self.x)

    def time_hvp(self, name, n_nodes):
        self.tape.hvp(self.x, self.v)

    def track_hvp_over_gradient(self, name, n_nodes):
        return ratio(lambda: self.tape.hvp(self.x, self.v), lambda: self.tape.gradient(self.x))

    track_hvp_over_gradient.unit = "ratio"

    def track_hvp_bytes_per_node(self, name, n_nodes):
        return work_bytes(lambda: self.tape.hvp(self.x, self.v)) / self.tape.n_nodes

    track_hvp_bytes_per_node.unit = "bytes/node"


class HessianVectorSymbolic(Benchmark):
    """The alternative: the gradient graph built once by sg.grad, compiled, then its jvp.

    Setup pays the one-off build (Python, about 10 us per node), so sizes stay small.
    """

    params = [["chain", "random_dag", "wide_sum"], [10**3, 10**4, 10**5]]
    param_names = ["workload", "n_nodes"]
    timeout = 300

    def setup(self, name, n_nodes):
        w = with_nodes(name, n_nodes)
        self.tape, self.x = w.tape, w.x
        self.v = np.linspace(-1.0, 1.0, w.tape.n_inputs)
        warm(self.tape, self.x)
        self.gradient_tape = second_order.gradient_tape(self.tape)
        self.tape.hvp(self.x, self.v)
        second_order.hvp_symbolic(self.tape, self.x, self.v)

    def time_hvp_symbolic(self, name, n_nodes):
        second_order.hvp_symbolic(self.tape, self.x, self.v)

    def track_hvp_symbolic_over_gradient(self, name, n_nodes):
        return ratio(lambda: second_order.hvp_symbolic(self.tape, self.x, self.v),
                     lambda: self.tape.gradient(self.x))

    track_hvp_symbolic_over_gradient.unit = "ratio"

    def track_gradient_graph_nodes_per_node(self, name, n_nodes):
        return self.gradient_tape.n_nodes / self.tape.n_nodes

    track_gradient_graph_nodes_per_node.unit = "ratio"


class Hessian(Benchmark):
    """The toy model's 8 x 8 Hessian (Prince eq. 7.5 over data points): 8 products."""

    params = [[10, 100, 1000]]
    param_names = ["n_points"]

    def setup(self, n):
        w = build("toy_model", n)
        self.tape, self.x = w.tape, w.x
        warm(self.tape, self.x)
        self.tape.hessian(self.x)

    def time_hessian(self, n):
        self.tape.hessian(self.x)

    def track_hessian_over_gradient(self, n):
        return ratio(lambda: self.tape.hessian(self.x), lambda: self.tape.gradient(self.x))

    track_hessian_over_gradient.unit = "ratio"


class GradGraph(Benchmark):
    """sg.grad on a recorded graph: time and size of the derivative graph it writes."""

    params = [["chain", "random_dag"], [10**3, 10**4]]
    param_names = ["workload", "n_nodes"]

    def setup(self, name, n_nodes):
        self.w = with_nodes(name, n_nodes)
        self.graph, self.inputs, self.outputs = second_order.graph_of(self.w.tape)

    def time_grad(self, name, n_nodes):
        from scalargraph import grad
        grad(self.outputs[0], self.inputs)

    def track_grad_nodes_per_node(self, name, n_nodes):
        from scalargraph import grad
        before = len(self.graph)
        grad(self.outputs[0], self.inputs)
        return (len(self.graph) - before) / self.w.tape.n_nodes

    track_grad_nodes_per_node.unit = "nodes/node"
