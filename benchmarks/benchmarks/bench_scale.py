"""Constant factors at scale: building, compiling, bytes, batches, cores, small hot calls.

Each figure of the scale issue is a ``track_*`` benchmark (a ratio or a per-node figure,
with its unit) so that ``asv run`` records it next to the raw ``time_*`` benchmarks.
"""

import time

import numpy as np

import scalargraph as sg
from scalargraph import batch
from scalargraph.bench import workloads


def _median_seconds(fn, repeat=5):
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def build_chain(op, n):
    """n nodes recorded one Python call each: x -> x + c, x * c, relu(x) or sin(x)."""
    with sg.Graph():
        h = sg.var("x")
        if op == "add":
            for _ in range(n):
                h = h + 1.5
        elif op == "mul":
            for _ in range(n):
                h = h * 0.999
        elif op == "relu":
            for _ in range(n):
                h = sg.relu(h)
        else:
            for _ in range(n):
                h = sg.sin(h)
    return h


def build_micrograd_chain(op, n):
    from micrograd.engine import Value
    h = Value(0.5)
    if op == "add":
        for _ in range(n):
            h = h + 1.5
    elif op == "mul":
        for _ in range(n):
            h = h * 0.999
    else:
        for _ in range(n):
            h = h.relu()
    return h


def build_layer(style, width):
    """One dense layer tanh(W @ h + b) of width x width: object arrays or a NodeArray."""
    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(width, width)), rng.normal(size=width)
    with sg.Graph() as g:
        if style == "object":
            h = np.array([sg.var() for _ in range(width)], dtype=object)
            out = np.tanh(W @ h + b)
        else:
            out = sg.tanh(sg.dense(W, sg.variables(width), b))
        return out, len(g)


class Build:
    """ns per node recorded from Python, and the speed-up over micrograd's Value."""

    params = ["add", "mul", "relu", "sin"]
    param_names = ["op"]
    n = 20000

    def time_build(self, op):
        build_chain(op, self.n)

    def track_build_ns_per_node(self, op):
        return _median_seconds(lambda: build_chain(op, self.n)) / self.n * 1e9

    track_build_ns_per_node.unit = "ns/node"



class BuildVsMicrograd:
    """Recording speed against micrograd's Value on the ops both have (optional peer)."""

    params = ["add", "mul", "relu"]
    param_names = ["op"]
    n = 20000

    def setup(self, op):
        try:
            import micrograd  # noqa: F401
        except ImportError:
            raise NotImplementedError("micrograd is not installed") from None

    def time_micrograd_build(self, op):
        build_micrograd_chain(op, self.n)

    def track_speedup_over_micrograd(self, op):
        ours = _median_seconds(lambda: build_chain(op, self.n))
        theirs = _median_seconds(lambda: build_micrograd_chain(op, self.n))
        return theirs / ours

    track_speedup_over_micrograd.unit = "micrograd time / scalargraph time"


class BuildLayer:
    """A 100 x 100 dense layer: object arrays (one Node each) vs the vectorized builder."""

    params = ["object", "vector"]
    param_names = ["style"]

    def time_build_layer(self, style):
        build_layer(style, 100)

    def track_ns_per_node(self, style):
        nodes = build_layer(style, 100)[1]
        return _median_seconds(lambda: build_layer(style, 100)) / nodes * 1e9

    track_ns_per_node.unit = "ns/node"


def deep_network(nodes, width=100):
    layers = max(1, nodes // (2 * width * width))
    rng = np.random.default_rng(1)
    with sg.Graph() as g:
        x = sg.variables(width)
        h = x
        for _ in range(layers):
            h = sg.relu(rng.normal(size=(width, width)) * np.sqrt(2 / width) @ h)
        return g, x, sg.sum(h)


class Compile:
    """compile: ns per recorded node and bytes per tape node, against graph size."""

    params = [10 ** 5, 10 ** 6]
    param_names = ["nodes"]
    timeout = 240

    def setup(self, nodes):
        self.graph, self.x, self.loss = deep_network(nodes)
        sg.compile(self.x, self.loss)

    def time_compile(self, nodes):
        sg.compile(self.x, self.loss)

    def track_compile_ns_per_node(self, nodes):
        return _median_seconds(lambda: sg.compile(self.x, self.loss), 3) / len(self.graph) * 1e9

    track_compile_ns_per_node.unit = "ns/node"

    def track_tape_bytes_per_node(self, nodes):
        tape = sg.compile(self.x, self.loss)
        return tape.nbytes / tape.n_nodes

    track_tape_bytes_per_node.unit = "B/node"

    def track_record_bytes_per_node(self, nodes):
        return self.graph.nbytes / len(self.graph)

    track_record_bytes_per_node.unit = "B/node"

    def peakmem_compile_and_gradient(self, nodes):
        tape = sg.compile(self.x, self.loss)
        tape.gradient(np.ones(100))


toy_tape = workloads.toy_loss


def toy_numpy(p, x, y):
    """The toy model's loss vectorized in NumPy: the practical limit for batched values."""
    b0, w0, b1, w1, b2, w2, b3, w3 = p
    f = b3 + w3 * np.cos(b2 + w2 * np.exp(b1 + w1 * np.sin(b0 + w0 * x)))
    return (f - y) ** 2


class Batch:
    """Batched values and summed gradients of the toy model (Prince eq. 7.5) over B examples."""

    params = [10 ** 4, 10 ** 6]
    param_names = ["examples"]
    timeout = 240

    def setup(self, examples):
        rng = np.random.default_rng(2)
        self.tape = toy_tape()
        self.p = rng.normal(size=8) * 0.5
        self.D = np.column_stack([rng.uniform(-1, 1, examples), rng.normal(size=examples)])
        self.X = np.column_stack([np.broadcast_to(self.p, (examples, 8)), self.D])
        self.tape(self.X[:10])
        self.tape.loss_and_gradient(self.p, self.D[:10])

    def time_values(self, examples):
        self.tape(self.X)

    def time_loss_and_gradient(self, examples):
        self.tape.loss_and_gradient(self.p, self.D)

    def track_node_evaluations_per_second(self, examples):
        seconds = _median_seconds(lambda: self.tape(self.X), 3)
        return self.tape.n_nodes * examples / seconds

    track_node_evaluations_per_second.unit = "node evaluations/s"

    def track_speedup_all_cores(self, examples):
        one = _median_seconds(lambda: self.tape.loss_and_gradient(self.p, self.D, workers=1), 3)
        every = _median_seconds(lambda: self.tape.loss_and_gradient(
            self.p, self.D, workers=batch.default_workers()), 3)
        return one / every

    track_speedup_all_cores.unit = "time on 1 core / time on every core"

    def track_time_over_numpy(self, examples):
        ours = _median_seconds(lambda: self.tape(self.X), 3)
        x, y = self.D[:, 0], self.D[:, 1]
        theirs = _median_seconds(lambda: toy_numpy(self.p, x, y), 3)
        return ours / theirs

    track_time_over_numpy.unit = "scalargraph batched values time / NumPy vectorized time"


def domke_tape():
    x = sg.var("x")
    f1 = sg.exp(x)
    f3 = f1 + f1 ** 2
    return sg.compile([x], [sg.exp(f3) + sg.sin(f3)])


class SmallCalls:
    """Per-call cost of value+gradient on the 7-node Domke graph, three ways."""

    calls = 20000

    def setup(self):
        import numba
        self.tape = domke_tape()
        self.x = np.array([0.3])
        self.g = np.empty(1)
        self.bound = self.tape.bind()
        kernel = sg.value_and_gradient_kernel

        @numba.njit
        def loop(args, x, g, n):
            op, arg0, arg1, consts, outputs, output, values, partials, adjoints = args
            s = 0.0
            for _ in range(n):
                s += kernel(op, arg0, arg1, consts, outputs, output, values, partials,
                            adjoints, x, g)
            return s

        self.loop = loop
        loop(self.bound.args, self.x, self.g, 1)
        self.tape.value_and_gradient(self.x)
        self.bound(self.x, self.g)

    def time_plain_value_and_gradient(self):
        self.tape.value_and_gradient(self.x)

    def time_bound(self):
        self.bound(self.x, self.g)

    def track_us_per_call_plain(self):
        return _median_seconds(lambda: [self.tape.value_and_gradient(self.x)
                                        for _ in range(self.calls)]) / self.calls * 1e6

    track_us_per_call_plain.unit = "us/call"

    def track_us_per_call_bound(self):
        return _median_seconds(lambda: [self.bound(self.x, self.g)
                                        for _ in range(self.calls)]) / self.calls * 1e6

    track_us_per_call_bound.unit = "us/call"

    def track_us_per_call_njit(self):
        n = self.calls * 10
        return _median_seconds(lambda: self.loop(self.bound.args, self.x, self.g, n)) / n * 1e6

    track_us_per_call_njit.unit = "us/call"


class Directions:
    """Forward mode with k directions in one block sweep vs k single sweeps."""

    params = [4, 16, 64]
    param_names = ["k"]

    def setup(self, k):
        with sg.Graph():
            xs = sg.variables(k)
            h = xs
            for _ in range(50):
                h = sg.tanh(h * 0.9 + h[::-1] * 0.1)
            self.tape = sg.compile(xs, sg.sum(h))
        self.x = np.linspace(-1, 1, k)
        self.tape.jacobian(self.x, mode="forward")
        self.eye = np.eye(k)

    def time_block(self, k):
        self.tape.jacobian(self.x, mode="forward")

    def time_single_sweeps(self, k):
        for v in self.eye:
            self.tape.jvp(self.x, v)

    def track_single_over_block(self, k):
        block = _median_seconds(lambda: self.tape.jacobian(self.x, mode="forward"))
        single = _median_seconds(lambda: [self.tape.jvp(self.x, v) for v in self.eye])
        return single / block

    track_single_over_block.unit = "k single sweeps / one k-direction sweep"
