"""The benchmark workloads: one registry of graph builders for asv, the cost report and the tests.

Each builder records a graph into a private :class:`~scalargraph.Graph`, compiles it, and
returns a :class:`Workload`: the tape, a fixed evaluation point and what the graph is. The
size argument means what the workload's ``size_name`` says (op nodes, inputs, outputs,
depth, data points). Inputs are fixed: every random choice comes from a seeded generator,
so the same call gives the same tape in every run (NumPy's benchmark rule: seeds and
datasets are append-only -- add a workload, never change one).

Builders record through the public operators and functions (``sg.sin``, ``*``, NumPy object
arrays) in plain loops or NumPy object-array expressions; 10^6 nodes build in a few seconds.

=================  ===========  ====================================================  ==========
name               size means   graph                                                 in -> out
=================  ===========  ====================================================  ==========
``chain``          op nodes     h <- sin(h) * 0.999 + 1e-5 (3 op nodes a step)       1 -> 1
``wide_sum``       inputs       f = sum_i sin(x_i x_{i+1})                            n -> 1
``fan_out``        outputs      3000-op trunk h(x); y_k = sin(c_k h) * c_k            1 -> m
``diamond``        depth        h <- (sin(h) + tanh(h)) / 2: 2^depth paths            1 -> 1
``random_dag``     op nodes     random unary/binary ops over 16 inputs, all live      16 -> 1
``domke``          (none)       Prince problem 7.12                                   1 -> 1
``toy_model``      data points  Prince eq. 7.5 with the least-squares loss 7.6        8 -> 1
=================  ===========  ====================================================  ==========
"""

from dataclasses import dataclass, field

import numpy as np

import scalargraph as sg


@dataclass(frozen=True)
class Workload:
    """A compiled benchmark graph and the point it is evaluated at.

    Attributes
    ----------
    name : str
        Registry name (``"chain"``, ...).
    size : int
        The builder's size argument.
    tape : Tape
    x : ndarray (n_inputs,)
        Fixed evaluation point, float64.
    info : dict
        Facts about the graph the report prints (e.g. ``paths`` for the diamond ladder).
    inputs, outputs : list of Node or NodeArray
        What the tape was compiled from, so that :meth:`recompile` can time ``sg.compile``.
    """

    name: str
    size: int
    tape: object
    x: np.ndarray
    info: dict = field(default_factory=dict)
    inputs: object = field(default=None, repr=False)
    outputs: object = field(default=None, repr=False)

    def recompile(self):
        """``sg.compile(inputs, outputs)`` again: a new, equal tape (for timing compile)."""
        return sg.compile(self.inputs, self.outputs)

    @property
    def n_nodes(self):
        return self.tape.n_nodes

    def __repr__(self):
        return f"<Workload {self.name}({self.size}): {self.tape!r}>"


def _check_size(name, size, minimum):
    if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size < minimum:
        raise ValueError(f"workload {name!r} needs an int size >= {minimum}, got {size!r}")
    return int(size)


def chain(n_ops):
    """The chain h <- sin(h) * 0.999 + 1e-5 from one input, about ``n_ops`` op nodes.

    Each step records three op nodes (sin, mul_const, add_const), so the tape has
    ``1 + 3 * max(1, n_ops // 3)`` nodes. The peer table measures this graph.

    Cost: 0.3-1.5 us per op node to record (a Python loop over ``sg`` operations).
    """
    n_ops = _check_size("chain", n_ops, 1)
    steps = max(1, n_ops // 3)
    with sg.Graph():
        x = sg.var("x")
        h = x
        sin = sg.sin
        for _ in range(steps):
            h = sin(h) * 0.999 + 1e-5
        tape = sg.compile([x], [h])
    return Workload("chain", n_ops, tape, np.array([0.5]), {"steps": steps}, [x], [h])


def wide_sum(n_inputs):
    """f = sum_{i<n-1} sin(x_i x_{i+1}) of ``n_inputs`` inputs: R^n -> R, about 4n nodes.

    The gradient workload of the cheap-gradient claim: one reverse sweep gives all n
    partials, forward mode needs n tangent sweeps.

    Cost: about 0.25 us per node to record (NumPy expressions over node arrays).
    """
    n = _check_size("wide_sum", n_inputs, 2)
    with sg.Graph():
        xs = sg.variables(n)
        terms = np.sin(xs[:-1] * xs[1:])
        f = sum(terms)
        tape = sg.compile(xs, [f])
    x = np.random.default_rng(20261123).uniform(-1.0, 1.0, n)
    return Workload("wide_sum", n, tape, x, {}, xs, [f])


def fan_out(n_outputs):
    """f: R -> R^m: a trunk h of 3000 op nodes from x, then y_k = sin(c_k h) * c_k.

    The mirror image of ``wide_sum``: one tangent sweep gives the whole Jacobian column,
    reverse mode needs m adjoint sweeps. The trunk (h <- h + 0.001 sin(h), 1000 steps,
    derivative about e) makes even m = 1 a real sweep; 3001 + 2m nodes. (Each trunk step
    is a diamond, so there are 2^1000 paths per output: not a graph for path sums.)

    Cost: about 4 us per output to record (an object array of m nodes).
    """
    m = _check_size("fan_out", n_outputs, 1)
    c = np.linspace(0.5, 1.5, m)
    with sg.Graph():
        x = sg.var("x")
        h = x
        for _ in range(1000):
            h = h + sg.sin(h) * 0.001
        ys = list(np.sin(h * c) * c)
        tape = sg.compile([x], ys)
    return Workload("fan_out", m, tape, np.array([0.3]), {}, [x], ys)


def diamond(depth):
    """A ladder of ``depth`` diamonds, h <- (sin(h) + tanh(h)) * 0.5: 2^depth paths.

    Each level forks h into sin(h) and tanh(h) and rejoins them, so the number of
    input-to-output paths doubles per level while the node count grows by 4 (1 + 4 * depth
    nodes): the graph on which the chain rule summed over paths (DL book 6.5.6) is
    exponential and the reverse sweep linear. The level map has slope 1 at its fixed point
    0, so derivatives decay only like depth^-1.5 and never reach subnormal numbers (which
    would slow every sweep) even a million levels deep.

    Cost: about 0.3 us per node to record.
    """
    depth = _check_size("diamond", depth, 0)
    with sg.Graph():
        x = sg.var("x")
        h = x
        for _ in range(depth):
            h = (sg.sin(h) + sg.tanh(h)) * 0.5
        tape = sg.compile([x], [h])
    return Workload("diamond", depth, tape, np.array([0.7]), {"paths": 2 ** depth}, [x], [h])


_DAG_UNARY = (sg.sin, sg.cos, sg.tanh, sg.sigmoid, lambda h: h * 0.5, lambda h: -h)
_DAG_INPUTS = 16


def random_dag(n_ops, seed=0):
    """A random DAG of about ``n_ops`` op nodes over 16 inputs, every node live.

    Node k applies a random op (sin, cos, tanh, sigmoid, *0.5, negation, *, or the mean
    (a + b) * 0.5) to the node just before it and, for binary ops, to a random earlier node
    (half of them within the last 64 nodes, half anywhere): the first parent keeps every
    node an ancestor of the output, the second makes long and short cross edges. No op
    leaves [-1, 1], where the inputs are, so values stay finite at any size.

    Cost: about 0.6 us per node to record (node handles are made on demand, none kept).
    """
    n_ops = _check_size("random_dag", n_ops, 1)
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, 8, n_ops).tolist()
    near = (rng.random(n_ops) < 0.5).tolist()
    back = rng.integers(1, 65, n_ops).tolist()
    anywhere = rng.random(n_ops).tolist()
    with sg.Graph() as graph:
        xs = sg.variables(_DAG_INPUTS)
        prev = xs[_DAG_INPUTS - 1]
        for k in range(n_ops):
            i = len(graph)
            if i - _DAG_INPUTS >= n_ops:
                break
            # Handles are made on demand from graph indices: no Python object per node.
            other = sg.Node(graph, int(i - back[k] if near[k] and back[k] <= i
                                       else anywhere[k] * i))
            op = kind[k]
            if op < 6:
                prev = _DAG_UNARY[op](prev)
            elif op == 6:
                prev = prev * other
            else:
                prev = (prev + other) * 0.5
        tape = sg.compile(xs, [prev])
    x = np.random.default_rng(seed + 1).uniform(-1.0, 1.0, _DAG_INPUTS)
    return Workload("random_dag", n_ops, tape, x, {"seed": seed}, xs, [prev])


def domke(size=1):
    """The Domke graph (Prince problem 7.12): y = exp(f3) + sin(f3), f3 = e^x + e^{2x}.

    ``size`` is ignored (the graph is fixed); x = 1.
    """
    with sg.Graph():
        x = sg.var("x")
        f1 = sg.exp(x)
        f2 = f1 ** 2
        f3 = f1 + f2
        y = sg.exp(f3) + sg.sin(f3)
        tape = sg.compile([x], [y])
    return Workload("domke", 1, tape, np.array([1.0]), {}, [x], [y])


def toy_model(n_points=1):
    """Least-squares loss (Prince eq. 7.6) of the toy model (eq. 7.5) over ``n_points`` points.

    f[x, phi] = b3 + w3 cos(b2 + w2 exp(b1 + w1 sin(b0 + w0 x))), loss = sum_i (f[x_i] - y_i)^2;
    inputs are the 8 parameters (b0, w0, b1, w1, b2, w2, b3, w3), the data are constants.
    """
    n = _check_size("toy_model", n_points, 1)
    rng = np.random.default_rng(7)
    xd = rng.uniform(-1.0, 1.0, n)
    yd = rng.uniform(-1.0, 1.0, n)
    with sg.Graph():
        b0, w0, b1, w1, b2, w2, b3, w3 = (sg.var(s) for s in
                                          ("b0", "w0", "b1", "w1", "b2", "w2", "b3", "w3"))
        loss = 0.0
        for xi, yi in zip(xd, yd):
            f = b3 + w3 * sg.cos(b2 + w2 * sg.exp(b1 + w1 * sg.sin(b0 + w0 * xi)))
            loss = loss + (f - yi) ** 2
        params = [b0, w0, b1, w1, b2, w2, b3, w3]
        tape = sg.compile(params, [loss])
    phi = np.array([0.1, 0.5, -0.2, 0.7, 0.3, 0.4, -0.1, 0.8])
    return Workload("toy_model", n, tape, phi, {}, params, [loss])


def toy_loss():
    """The toy model's squared error for one example, data inputs marked: a tape whose inputs
    are the 8 parameters (b0, w0, b1, w1, b2, w2, b3, w3) then the data x, y, for
    :meth:`Tape.loss_and_gradient` over a data set (the batch benchmarks and tests)."""
    with sg.Graph():
        phi = sg.variables(8, "phi")
        x, y = sg.var("x"), sg.var("y")
        b0, w0, b1, w1, b2, w2, b3, w3 = phi
        f = b3 + w3 * sg.cos(b2 + w2 * sg.exp(b1 + w1 * sg.sin(b0 + w0 * x)))
        return sg.compile(phi, (f - y) ** 2, data=[x, y])


# name -> builder. Append new workloads; never change what an existing name builds.
WORKLOADS = {
    "chain": chain,
    "wide_sum": wide_sum,
    "fan_out": fan_out,
    "diamond": diamond,
    "random_dag": random_dag,
    "domke": domke,
    "toy_model": toy_model,
}


def with_nodes(name, n_nodes):
    """Workload ``name`` built with about ``n_nodes`` tape nodes (for per-node costs).

    The size argument is ``n_nodes`` for ``chain`` and ``random_dag``, ``n_nodes // 4``
    inputs for ``wide_sum`` (4 nodes an input), ``(n_nodes - 1) // 4`` for ``diamond``.
    """
    if name == "wide_sum":
        return wide_sum(max(2, n_nodes // 4))
    if name == "diamond":
        return diamond(max(1, (n_nodes - 1) // 4))
    if name in ("chain", "random_dag"):
        return build(name, n_nodes)
    raise ValueError(f"with_nodes builds chain, wide_sum, diamond or random_dag, not {name!r}")


def build(name, size):
    """Build workload ``name`` (a key of :data:`WORKLOADS`) at ``size``."""
    try:
        builder = WORKLOADS[name]
    except KeyError:
        raise ValueError(f"unknown workload {name!r}; known: {', '.join(WORKLOADS)}") from None
    return builder(size)
