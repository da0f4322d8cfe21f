"""micrograd-style access: ``result = tape.evaluate(x)``, then ``result.value(node)`` and
``result.adjoint(node)`` for any recorded node, without index bookkeeping.

One forward sweep with partials runs when the result is made; the reverse sweep for an
output runs on the first ``adjoint`` of that output and is kept, so asking for many nodes'
adjoints costs one sweep.
"""

import numpy as np

from . import validate

from .arrays import NodeArray
from .graph import Node
from .kernels import sweeps as _sweeps


class Evaluation:
    """Values (and, on demand, adjoints) of every node of a tape at one point.

    Made by :meth:`Tape.evaluate`. In a notebook it shows the graph with each node's value
    and adjoint (small tapes), or a summary.

    Attributes
    ----------
    tape : Tape
    x : ndarray (n_inputs,)
        The point.
    values : ndarray (n_nodes,)
        Every node's value, indexed by tape position (:meth:`Tape.index`).
    """

    def __init__(self, tape, x, output=None):
        self._tape = tape
        self.x = validate.point(tape, x).copy()
        self.x.flags.writeable = False
        self._default = output if output is None else validate.output_index(tape, output)
        with np.errstate(all="ignore"):  # IEEE values are results here, as in the sweeps
            self.values, self._partials = tape.linearize(self.x)
        self.values.flags.writeable = False
        self._adjoints = {}

    @property
    def tape(self):
        """The tape evaluated (read-only: the sweeps of :meth:`adjoints` run its arrays on
        the partials computed here, and another tape's would index past them)."""
        return self._tape

    def __repr__(self):
        outs = ", ".join(f"{v:.6g}" for v in self.outputs[:4])
        more = " ..." if self.tape.n_outputs > 4 else ""
        return f"<Evaluation of {self.tape!r} at {self.tape.n_inputs} input(s): outputs [{outs}{more}]>"

    @property
    def outputs(self):
        """The outputs' values, array (n_outputs,)."""
        return self.values[self.tape.outputs]

    def _positions(self, nodes):
        if type(nodes) is Node:
            return self.tape.index(nodes), ()
        if type(nodes) is NodeArray:
            flat = nodes.ravel()
            return np.array([self.tape.index(flat[k]) for k in range(flat.size)],
                            dtype=np.int64), nodes.shape
        if isinstance(nodes, (list, tuple, np.ndarray)):
            obj = np.asarray(nodes, dtype=object)
            return np.array([self.tape.index(n) for n in obj.ravel()], dtype=np.int64), obj.shape
        raise TypeError(f"expected a node of the tape (a Node, NodeArray or list of Nodes), got "
                        f"{type(nodes).__name__}")

    def _pick(self, array, nodes):
        where, shape = self._positions(nodes)
        if shape == () and np.ndim(where) == 0:
            return float(array[where])
        return array[where].reshape(shape)

    def value(self, node):
        """The value of ``node`` (a float; an array for a NodeArray or list of nodes).

        Cost: O(log n_nodes) per node (:meth:`Tape.index`).
        """
        return self._pick(self.values, node)

    __getitem__ = value

    def adjoints(self, output=None):
        """d output / d node for every node, array (n_nodes,): one reverse sweep, kept.

        ``output`` may be omitted when the tape has one output or the result was made with
        ``output=k``.
        """
        k = validate.output_index(self.tape, self._default if output is None else output)
        adj = self._adjoints.get(k)
        if adj is None:
            adj = np.full(self.tape.n_nodes, -0.0)  # not reached (kernels/reach.py)
            np.add.at(adj, self.tape.outputs[k], 1.0)
            with np.errstate(all="ignore"):
                _sweeps.reverse_adjoints(self.tape.arg0, self.tape.arg1, self._partials, adj)
            adj += 0.0  # -0.0 (not reached) becomes 0.0
            adj.flags.writeable = False
            adj = self._adjoints.setdefault(k, adj)
        return adj

    def adjoint(self, node, output=None):
        """d output / d ``node``: how much the output moves per unit change of that node
        (micrograd's ``node.grad``). A float; an array for a NodeArray or list of nodes.

        Cost: one reverse sweep (32 B/node) on the first call per output, then O(log n) per
        node.
        """
        return self._pick(self.adjoints(output), node)

    grad = adjoint

    def gradient(self, output=None):
        """d output / d input for every input, array (n_inputs,) (as :meth:`Tape.gradient`)."""
        return self.adjoints(output)[:self.tape.n_inputs].copy()

    # ---- notebooks ------------------------------------------------------------------------
    def _repr_html_(self):
        from . import display
        return display.html_text(self.tape, self)

    def _repr_svg_(self):
        from . import display
        return display.svg(self.tape, self)
