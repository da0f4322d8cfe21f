"""The compiled tape: flat arrays, their validation, and the public evaluation methods.

Every public method checks its arguments in Python (shapes, dtypes, index ranges) and then
calls Numba kernels that trust them: Numba does not check bounds, so nothing unchecked may
reach a kernel.
"""

from collections.abc import Sequence

import numpy as np

from . import ops, batch, validate, workmem as _workmem, tiles as _tiles
from . import smallcall as _smallcall  # the small-tape plain call (its short path below)
from . import evaluation as _evaluation  # batches in every method
from .kernels import flatten as _flatten, forward as _kernels, packed as _packed, sweeps as _sweeps
from .kernels import sealed as _sealed
from .frozen import frozen
from .graph import Node, as_count

_N_OPS = len(ops.OPS)
_NODE_ARITY = ops.ARITY_TABLE
_F64 = np.dtype(np.float64)
_empty = np.empty
_ndarray = np.ndarray

# Directions (or seeds) per jacobian block: as many as keep the block within 8 MiB, and at
# most 64. Measured on 10^4-input wide_sum (forward) and fan_out (reverse): blocks of 2, 4,
# 8 and 32 MiB took 424/306/173/199 ms and 229/177/147/375 ms: small blocks pay the
# per-node overhead too often, large ones fall out of cache.
_BLOCK_ELEMENTS = 1 << 20
# Set once by __init__ and trusted by every kernel: not to be replaced (Tape.__setattr__).
_VALIDATED = frozenset(("op", "arg0", "arg1", "consts", "outputs", "n_inputs"))


class Tape:
    """A scalar graph flattened into topologically ordered arrays, evaluated by Numba loops.

    Made by :func:`scalargraph.compile` or :func:`scalargraph.trace`. Node ``i`` of the tape
    is ``op[i]`` applied to ``arg0[i]`` / ``arg1[i]`` (parents, or constant-pool indices, as
    the op's kind says: see :mod:`scalargraph.ops`); nodes ``0 .. n_inputs-1`` are the inputs.

    Memory: 9 B per node (uint8 ``op``, int32 ``arg0``, ``arg1``) + 8 B per constant in
    ``consts``; a tape made from a graph also keeps 4 B per node to answer :meth:`index`.
    Work memory: values 8 B/node; gradients and tangents add partials 16 B/node and
    adjoints/tangents 8 B/node (32 B/node in all). Plain calls keep it between calls, one
    buffer per thread, up to 1 GiB per tape and thread (:mod:`scalargraph.workmem`):
    :attr:`kept_bytes` says how much is held, :meth:`release` frees it.

    A tape is immutable and no two threads share a work buffer, so one tape may be
    evaluated from several threads at once.
    """

    # Node counts before and after the passes of sg.optimize / sg.compile(cse=, fold=), else None.
    compile_stats = None
    # Graph nodes merged into another node by CSE: (sorted graph indices, tape positions).
    _merged = None
    # Work buffers kept between plain calls, per thread (scalargraph/workmem.py); the packed
    # small-tape kernel is taken when _small (at most PACKED_NODES nodes, one output).
    _kept = None
    _small_work = None
    _ints = None
    _small = False
    _blob = None  # a small one-output tape's packed arrays, made on first call (smallcall.py)
    _jslots = None  # the forward Jacobian's slot map (scalargraph/tiles.py), on first use
    _rest_order = None  # argsort of _source past the inputs, for index()

    def __init__(self, op, arg0, arg1, consts, outputs, input_names=None, *, n_data=0,
                 _graph=None, _source=None, _trusted=False):
        if not _trusted:
            op, arg0, arg1, consts, outputs = validate.tape_arrays(op, arg0, arg1, consts,
                                                                   outputs)
        # Frozen (scalargraph/frozen.py): read-only in a way NumPy will not undo, since the
        # compiled loops trust these arrays from now on.
        self.op, self.arg0, self.arg1, self.consts, self.outputs = (
            frozen(op, np.uint8), frozen(arg0, np.int32), frozen(arg1, np.int32),
            frozen(consts, np.float64), frozen(outputs, np.int32))
        self.n_inputs = validate.n_inputs(self.op)  # no per-node temporary
        if input_names is None:
            names = (None,) * self.n_inputs
        else:
            if isinstance(input_names, (str, bytes)):
                raise TypeError("input_names must be a sequence of names (or None), one per "
                                f"input, not a single string: got {input_names!r:.40}")
            names = input_names if isinstance(input_names, Sequence) else tuple(input_names)
        if len(names) != self.n_inputs:
            raise ValueError(f"input_names has {len(names)} names for {self.n_inputs} inputs")
        self.input_names = names
        if as_count(n_data, "n_data") > self.n_inputs:
            raise ValueError(f"n_data must be an int in 0..{self.n_inputs}, got {n_data!r}")
        self.n_data = int(n_data)
        self._graph = _graph
        self._source = _source
        self._input_order = None
        self._slots = None
        self._small = self.n_nodes <= _workmem.PACKED_NODES and self.n_outputs == 1

    # ---- immutability: the kernels trust the validated arrays -------------------------------
    def __setattr__(self, name, value):
        if name in _VALIDATED and name in self.__dict__:
            raise AttributeError(f"a Tape is immutable: its {name!r} was validated once and "
                                 "the compiled loops trust it; make a new tape instead "
                                 "(sg.Tape(op, arg0, arg1, consts, outputs) checks its arrays)")
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        if name in _VALIDATED:
            raise AttributeError(f"a Tape is immutable: its {name!r} cannot be deleted")
        object.__delattr__(self, name)
    # ---- end of immutability

    # ---- sizes ----------------------------------------------------------------------------
    @property
    def n_nodes(self):
        """Number of nodes in the tape, inputs included."""
        return self.op.shape[0]

    @property
    def n_outputs(self):
        return self.outputs.shape[0]

    @property
    def nbytes(self):
        """Bytes of the tape arrays (op, arg0, arg1, consts, outputs)."""
        return sum(a.nbytes for a in (self.op, self.arg0, self.arg1, self.consts, self.outputs))

    @property
    def kept_bytes(self):
        """Bytes of work memory this tape keeps between plain calls, over all threads (see
        :mod:`scalargraph.workmem`). Cost: O(threads)."""
        return _workmem.kept_bytes(self)

    def release(self):
        """Free the work buffers this tape keeps between calls, every thread's at once (a
        call under way keeps its own until it returns). The next call allocates again.

        Cost: O(1); frees up to 64 B/node per thread that called the tape.
        """
        _workmem.release(self)

    def op_counts(self):
        """Dict of op name -> number of nodes with that op. Cost: O(n_nodes)."""
        counts = np.bincount(self.op, minlength=_N_OPS)
        return {ops.BY_CODE[c].name: int(n) for c, n in enumerate(counts) if n}

    # ---- display, micrograd-style access, SciPy: scalargraph/display.py, result.py, scipy.py
    def __repr__(self):
        from . import display
        return display.summary_line(self)

    def _repr_svg_(self):
        from . import display
        return display.svg(self)

    def evaluate(self, x, output=None):
        """Every node's value at ``x``, and adjoints on demand, looked up by node:
        ``r = tape.evaluate(x); r.value(node); r.adjoint(node)``. See
        :class:`scalargraph.result.Evaluation`.

        Cost: one forward sweep with partials (24 B/node kept); one reverse sweep per output
        on the first adjoint asked for.
        """
        from .result import Evaluation
        return Evaluation(self, x, output)

    def as_scipy(self, output=None):
        """``fun``, ``jac``, ``hess``, ``hessp`` of one output for ``scipy.optimize.minimize``;
        ``fun`` and ``jac`` at one x share one fused sweep. See
        :class:`scalargraph.interop.ScipyObjective`. Cost: nothing until called."""
        from .interop import ScipyObjective
        return ScipyObjective(self, output)

    def as_scipy_constraint(self, lb=-np.inf, ub=0.0, hess=True):
        """The outputs as a ``scipy.optimize.NonlinearConstraint`` ``lb <= outputs(x) <= ub``
        with the exact Jacobian (and Hessian products): see
        :func:`scalargraph.interop.constraint`. Cost: nothing until called."""
        from .interop import constraint
        return constraint(self, lb, ub, hess)
    # ---- end of delegating methods

    # ---- argument checks (scalargraph/validate.py) ----------------------------------------
    def _point(self, x):
        return validate.point(self, x)

    def _points(self, X):
        return validate.points(self, X)

    def _vector(self, v, size, what):
        return validate.vector(v, size, what)

    def _output(self, output):
        return validate.output_index(self, output)

    # ---- kernels --------------------------------------------------------------------------
    def _slot_tape(self):
        """Slot-renamed arguments for value-only and forward-mode calls, made on first use.

        12 B per node, kept with the tape; each call then needs 8 B (values) or 16 B
        (values and tangents) per slot, not per node: a chain needs a handful of slots.
        """
        if self._slots is None:  # two threads may both build it: same result, no harm
            self._slots = _flatten.allocate_slots(self.op, self.arg0, self.arg1, _NODE_ARITY,
                                                  self.outputs, self.n_inputs)
        return self._slots

    def _values(self, x):
        values = np.empty(self.n_nodes)
        _kernels.forward_values(self.op, self.arg0, self.arg1, self.consts, x, values)
        return values

    def linearize(self, x):
        """``(values, partials)`` at ``x``: every node's value (n_nodes,) and its local partials
        (n_nodes, 2), exactly 0.0 in a slot with no parent: the linearization every reverse and
        forward-mode sweep runs on. Cost: one forward sweep, 24 B/node."""
        x = validate.point(self, x)
        if self.n_nodes <= _workmem.PACKED_NODES and self.n_outputs:  # (smallcall.py)
            return _smallcall.linearize(self, x)
        values = np.empty(self.n_nodes)
        partials = np.empty((self.n_nodes, 2))
        _kernels.forward_partials(self.op, self.arg0, self.arg1, self.consts, x, values, partials)
        return values, partials

    # The plain calls below carve their work arrays from this thread's kept buffer
    # (scalargraph/workmem.py: take ... give); what they return never shares its memory.
    def _partials_into(self, x, buf):
        n = self.n_nodes
        values, partials = buf[:n], buf[n:3 * n].reshape(n, 2)
        _kernels.forward_partials(self.op, self.arg0, self.arg1, self.consts, x, values, partials)
        return partials

    def _reverse(self, x, seed_at, seeds, whole):
        """Adjoints of every node (a new array if ``whole``, else the inputs' only)."""
        n = self.n_nodes
        buf = _workmem.take(self, 3 * n if whole else 4 * n)
        partials = self._partials_into(x, buf)
        adjoints = np.empty(n) if whole else buf[3 * n:4 * n]
        adjoints.fill(-0.0)  # nothing reached yet (kernels/reach.py)
        if np.ndim(seed_at) == 0:
            adjoints[seed_at] = seeds
        else:
            # An output listed twice gets both seeds; a zero weight seeds nothing.
            np.add.at(adjoints, seed_at, np.where(seeds != 0.0, seeds, -0.0))
        _sweeps.reverse_adjoints(self.arg0, self.arg1, partials, adjoints)
        # + 0.0: what no seed reached (-0.0) comes out as 0.0; a new array either way.
        out = adjoints + 0.0 if whole else adjoints[:self.n_inputs] + 0.0
        _workmem.give(self, buf)
        return out

    def _forward(self, x, v):
        buf = _workmem.take(self, 3 * self.n_nodes)
        partials = self._partials_into(x, buf)
        tangents = np.empty(self.n_nodes)
        tangents[:self.n_inputs] = v
        _sweeps.forward_tangents(self.n_inputs, self.arg0, self.arg1, partials, tangents)
        _workmem.give(self, buf)
        tangents += 0.0  # what no seed reached (-0.0) comes out as 0.0 (kernels/reach.py)
        return tangents

    # ---- public evaluation ----------------------------------------------------------------
    def __call__(self, x, workers=None):
        """Output values at the point ``x`` (n_inputs,): array (n_outputs,); or at each row of
        ``x`` (B, n_inputs): array (B, n_outputs).

        ``workers`` threads share a batch (default: every core).
        Cost: one forward sweep per point, O(n_nodes) time, 8 B per node (and point of a
        chunk, for a batch) of work memory, kept between calls (:mod:`scalargraph.workmem`).
        """
        # The small-tape short path: see value_and_gradient.
        if (type(x) is _ndarray and (blob := self._blob) is not None and x.dtype is _F64
                and x.ndim == 1 and len(x) == self.n_inputs and x.flags.carray):
            out = _empty(1)
            _smallcall.value(blob, x, out)
            return out
        X = self._points(x)
        if X is not None:
            return batch.values(self, X, workers)
        x = self._point(x)
        if self._small:
            return _smallcall.values(self, x)
        # Every node's value, not jvp's slot-renamed sweep (8 B per live node, but a 12 B/node
        # slot map kept with the tape): that sweep runs at this one's speed on the chain, wide
        # sum, toy loss, fan-out, diamond and a dense tanh network, and is faster only where
        # operands lie far apart and the values leave the cache (random DAG, 10^6 nodes: 12.0
        # against 15.7 ns/node; 3 10^6: 11.4-13.0 against 17.3-21.9; 10^5: the same; one
        # process, interleaved, three runs): one kind of graph, against 4 B/node more kept
        # memory and a second compiled value loop, so not taken.
        buf = _workmem.take(self, self.n_nodes)
        _kernels.forward_values(self.op, self.arg0, self.arg1, self.consts, x, buf)
        out = buf[self.outputs]  # a copy (fancy indexing)
        _workmem.give(self, buf)
        return out

    def values(self, x, workers=None):
        """Value of every tape node at ``x``: array (n_nodes,), indexed as :meth:`index` says;
        for points ``x`` (B, n_inputs), array (B, n_nodes).

        Cost: one forward sweep per point; 8 B/node per point (the result itself).
        """
        X = self._points(x)
        if X is not None:
            return batch.all_values(self, X, workers)
        return self._values(self._point(x))

    def gradient(self, x, output=None, workers=None, checkpoints=None):
        """Reverse mode: d output / d input for every input, array (n_inputs,).

        Parameters
        ----------
        x : sequence of float, length n_inputs; or array (B, n_inputs) of B points
            For B points the result is (B, n_inputs), one gradient per point (use
            :meth:`gradient_sum` for their sum without holding them all).
        output : int, optional
            Which output; may be omitted when the tape has one.
        workers : int, optional
            Threads sharing a batch (default: every core).
        checkpoints : int, optional
            Sweep in this many segments, keeping values only at their boundaries and
            recomputing each segment in the reverse pass (one point only): the same result bit
            for bit in O(sqrt n) work memory for k ~ sqrt(n_nodes) on a chain, for about one
            extra forward pass. See :mod:`scalargraph.checkpoint` (and its
            ``checkpoints_for_budget`` to pick k from a memory budget).

        Cost: one forward sweep with partials + one reverse sweep, whatever n_inputs is;
        O(n_nodes) time, 32 B/node work memory, kept between calls per thread (see
        :mod:`scalargraph.workmem`; :meth:`release` frees it).
        Kinks: see each op's note (relu'(0) = 0, maximum's gradient goes to x only where x > y,
        abs'(0) = 0); a zero partial cuts its path even against inf or NaN, and a path
        through an infinite partial gives NaN (the derivative rule, ``kernels/reach.py``).
        """
        # The small-tape short path: see value_and_gradient.
        if (type(x) is _ndarray and (blob := self._blob) is not None and output is None
                and checkpoints is None and x.dtype is _F64 and x.ndim == 1
                and len(x) == self.n_inputs and x.flags.carray):
            gradient = _empty(self.n_inputs)
            _smallcall.vg(blob, x, gradient)
            return gradient
        X = self._points(x)
        if checkpoints is not None:
            if X is not None:
                raise ValueError("checkpoints apply to one point: pass x of shape (n_inputs,)")
            from . import checkpoint
            return checkpoint.gradient(self, x, output, checkpoints)
        if X is not None:
            return batch.gradients(self, X, self._output(output), workers)
        return self._fused(self._point(x), self._output(output))[1]

    def _fused(self, x, k):
        """Value and gradient of output k: one kernel call (the plain-call fast path).

        A small tape takes the packed kernel (5 arrays for Numba's dispatcher to check, not
        11: kernels/packed.py), on one array per tape when it has one output (3 arrays:
        smallcall.py); all keep their work arrays between calls (workmem.py).
        """
        n = self.n_nodes
        gradient = np.empty(self.n_inputs)
        if self._small:  # one output (k = 0): the blob that the short paths use
            return _smallcall.value_and_gradient(self, x, gradient), gradient
        if n <= _workmem.PACKED_NODES:
            ints, work = _workmem.packed(self)
            return _packed.value_and_gradient_packed(ints, work, k, x, gradient), gradient
        buf = _workmem.take(self, 4 * n)
        value = _sweeps.value_and_gradient(self.op, self.arg0, self.arg1, self.consts,
                                            self.outputs, k, buf[:n], buf[n:3 * n].reshape(n, 2),
                                            buf[3 * n:4 * n], x, gradient)
        _workmem.give(self, buf)
        return value, gradient

    def gradient_sum(self, X, output=None, workers=None):
        """Sum over the rows of X (B, n_inputs) of an output and of its gradient.

        Returns ``(value_sum, gradient_sum)``, a float and an array (n_inputs,): the
        minibatch gradient of Prince eq. 7.3. Chunks of points are swept and added as they
        finish, so at most a chunk's 32 B/node/point work memory is held per thread.

        Cost: one batched forward + reverse sweep per chunk of points, chunks shared out over
        ``workers`` threads; O(B n_nodes) time.
        """
        X = self._points(X)
        if X is None:
            raise ValueError("gradient_sum needs a 2-d array of points (B, n_inputs)")
        return batch.summed(self, lambda s, e: X[s:e], X.shape[0], self._output(output),
                            self.n_inputs, workers)

    value_and_gradient_sum = gradient_sum  # its name under the README's naming rule

    def loss_and_gradient(self, params, data, output=None, reduce="mean", workers=None):
        """A loss over a data set and its gradient w.r.t. the parameters.

        For a tape compiled with ``sg.compile(params, loss, data=[x, y, ...])``: the inputs
        are the ``n_inputs - n_data`` parameters followed by the ``n_data`` data inputs, and
        each row of ``data`` is one example.

        Parameters
        ----------
        params : sequence of float, length n_inputs - n_data
        data : array (B, n_data)
        reduce : {"mean", "sum"}
            Average (Prince eq. 7.3 divided by B) or sum over the examples.

        Returns
        -------
        (float, array (n_inputs - n_data,))

        Cost: as :meth:`gradient_sum` over B points.
        """
        n_params = self.n_inputs - self.n_data
        params = self._vector(params, n_params, "params")
        data = validate.as_real_array(data, "data")
        if data.ndim == 1 and self.n_data == 1:
            data = data[:, None]
        if data.ndim != 2 or data.shape[1] != self.n_data:
            raise ValueError(f"expected data of shape (examples, {self.n_data}), got {data.shape}"
                             + ("; compile with sg.compile(params, loss, data=[...]) to mark "
                                "data inputs" if self.n_data == 0 else ""))
        if reduce not in ("mean", "sum"):
            raise ValueError(f"reduce must be 'mean' or 'sum', got {reduce!r}")
        B = data.shape[0]
        if B == 0:
            raise ValueError("data has no examples")

        def rows(s, e):
            X = np.empty((e - s, self.n_inputs))
            X[:, :n_params] = params
            X[:, n_params:] = data[s:e]
            return X

        total, grad = batch.summed(self, rows, B, self._output(output), n_params, workers)
        if reduce == "mean":
            return total / B, grad / B
        return total, grad

    def value_and_gradient(self, x, output=None, workers=None):
        """``(value, gradient)`` of one output from the same sweeps as :meth:`gradient`.

        For points ``x`` (B, n_inputs): ``(values (B,), gradients (B, n_inputs))``.
        Cost: as :meth:`gradient` (one fused kernel call). A float64 array ``x`` on a small
        tape (one output, up to ``workmem.PACKED_NODES`` nodes) takes the packed kernel
        (:mod:`scalargraph.smallcall`): about 0.6 us a call from Python on the 7-node Domke
        graph.
        """
        # The small-tape short path (scalargraph/smallcall.py). The blob exists once a call
        # took the general path on this small one-output tape; these checks make x exactly
        # the type the kernel was compiled for (ndarray, native float64, 1-d of n_inputs,
        # C-contiguous, aligned, writable), which calling its entry point requires.
        if (type(x) is _ndarray and (blob := self._blob) is not None and output is None
                and x.dtype is _F64 and x.ndim == 1 and len(x) == self.n_inputs
                and x.flags.carray):
            gradient = _empty(self.n_inputs)
            return _smallcall.vg(blob, x, gradient), gradient
        if not (type(x) is np.ndarray and x.ndim == 1):  # batches: scalargraph/evaluation.py
            X = self._points(x)
            if X is not None:
                return _evaluation.value_and_gradient(self, X, self._output(output), workers)
        return self._fused(self._point(x), self._output(output))

    def vjp(self, x, w, workers=None):
        """Reverse mode: ``w @ J`` for output weights ``w`` (n_outputs,), array (n_inputs,).

        For points ``x`` (B, n_inputs) and ``w`` (n_outputs,) or (B, n_outputs): (B, n_inputs).
        Cost: one forward sweep with partials + one reverse sweep; 32 B/node.
        """
        X = self._points(x)  # batches: scalargraph/evaluation.py
        if X is not None:
            return _evaluation.vjp(self, X, w, workers)
        x = self._point(x)
        w = self._vector(w, self.n_outputs, "output weights w")
        return self._reverse(x, self.outputs, w, whole=False)

    def jvp(self, x, v, workers=None):
        """Forward mode: ``J @ v`` for an input direction ``v`` (n_inputs,), array (n_outputs,).

        For points ``x`` (B, n_inputs) and ``v`` (n_inputs,) or (B, n_inputs): (B, n_outputs).
        Cost: one sweep carrying values and tangents together, O(n_nodes) time; work memory
        16 B per slot of the slot-renamed tape (nodes alive at once, not all nodes).
        """
        X = self._points(x)  # batches: scalargraph/evaluation.py
        if X is not None:
            return _evaluation.jvp(self, X, v, workers)
        x = self._point(x)
        v = self._vector(v, self.n_inputs, "direction v")
        s_arg0, s_arg1, s_out, n_slots = self._slot_tape()
        buf = _workmem.take(self, 2 * n_slots)
        work, twork = buf[:n_slots], buf[n_slots:2 * n_slots]
        _kernels.forward_tangents_slots(self.op, s_arg0, s_arg1, s_out, self.consts, x, work,
                                        v, twork)
        out = twork[s_out[self.outputs]]  # a copy (fancy indexing)
        _workmem.give(self, buf)
        return out

    def adjoints(self, x, output=None, workers=None):
        """d output / d node for every tape node: the "gradtable" of DL book Algorithm 6.2.

        ``output`` picks the output, as for :meth:`gradient` (it may be omitted when the tape
        has one). Returns array (n_nodes,); (B, n_nodes) for points (B, n_inputs).
        Cost: as :meth:`gradient`.
        """
        X = self._points(x)  # batches: scalargraph/evaluation.py
        if X is not None:
            return _evaluation.adjoints(self, X, self._output(output), workers)
        x = self._point(x)
        k = self._output(output)
        if self._small:  # one output, few nodes: the packed kernel's table (smallcall.py)
            return _smallcall.adjoints(self, x)
        return self._reverse(x, self.outputs[k], 1.0, whole=True)

    def tangents(self, x, v, workers=None):
        """d node / d direction ``v`` for every tape node (Prince problem 7.13), array (n_nodes,).

        For points ``x`` (B, n_inputs) and ``v`` (n_inputs,) or (B, n_inputs): (B, n_nodes).
        Cost: as :meth:`jvp`.
        """
        X = self._points(x)  # batches: scalargraph/evaluation.py
        if X is not None:
            return _evaluation.tangents(self, X, v, workers)
        x = self._point(x)
        return self._forward(x, self._vector(v, self.n_inputs, "direction v"))

    def jacobian(self, x, mode="auto", workers=None):
        """The Jacobian d outputs / d inputs, array (n_outputs, n_inputs); for points ``x``
        (B, n_inputs), array (B, n_outputs, n_inputs) (one point after another).

        Parameters
        ----------
        mode : {"auto", "forward", "reverse"}
            "forward" carries a block of input directions per tangent sweep (n_inputs
            directions in all), "reverse" a block of output seeds per adjoint sweep
            (n_outputs seeds); "auto" picks forward when n_inputs <= n_outputs.

        Cost: one forward sweep with partials, then blocks of up to 64 directions or seeds,
        each block one sweep costing about k times a single one. Work memory on top of
        24 B/node: forward, 8 B per *live* node per direction of a block (the rows of nodes
        alive at once, :mod:`scalargraph.tiles`); reverse, 8 B per node per seed of a block
        (at most 8 MiB, or one seed). Kept between calls (:mod:`scalargraph.workmem`).
        """
        X = self._points(x)  # batches: scalargraph/evaluation.py
        if X is not None:
            return _evaluation.jacobian(self, X, mode, workers)
        x = self._point(x)
        if mode == "auto":
            mode = "forward" if self.n_inputs <= self.n_outputs else "reverse"
        if mode not in ("forward", "reverse"):
            raise ValueError(f"mode must be 'auto', 'forward' or 'reverse', got {mode!r}")
        n, m = self.n_inputs, self.n_outputs
        jac = np.zeros((m, n))
        if n == 0 or m == 0:
            return jac
        if mode == "forward":
            return _tiles.jacobian_forward(self, x, jac)
        count, nn = m, self.n_nodes
        block = int(max(1, min(64, count, _BLOCK_ELEMENTS // max(nn, 1))))
        buf = _workmem.take(self, 3 * nn + nn * block)
        partials = self._partials_into(x, buf)
        # Slices of seeds, as tiles.jacobian_forward slices directions (Ctrl-C between).
        step = max(1, _tiles.SLICE_WORK // (block * nn)) * block
        for lo in range(0, count, step):
            _sweeps.jacobian_reverse(n, lo, min(count, lo + step), self.arg0, self.arg1,
                                     partials, self.outputs, block, buf[3 * nn:], jac)
        _workmem.give(self, buf)
        return jac

    # ---- hot loops --------------------------------------------------------------------------
    def bind(self, output=None):
        """A value-and-gradient callable with its work arrays allocated once, for hot loops.

        ``f = tape.bind(); value = f(x, grad)`` writes the gradient into ``grad`` (float64,
        n_inputs) and returns the value; ``x`` must be a float64 array (n_inputs,). ``f.args``
        and :data:`scalargraph.value_and_gradient_kernel` let user ``@njit`` code call the same
        kernel with no Python in between; unpack ``args`` once, outside the loop (a
        ``kernel(*args, ...)`` call inside it costs about 100 ns more)::

            kernel = sg.value_and_gradient_kernel
            @numba.njit
            def descend(args, x, g, steps, lr):
                op, arg0, arg1, consts, outputs, output, values, partials, adjoints = args
                for _ in range(steps):
                    kernel(op, arg0, arg1, consts, outputs, output, values, partials,
                           adjoints, x, g)
                    x -= lr * g
            descend(tape.bind().args, x, np.empty_like(x), 1000, 0.01)

        The kernel checks in O(1) that the nine arrays are those ``bind`` gave (a seal in
        ``values``' last slot, see :mod:`scalargraph.kernels.sealed`): arrays of two tapes
        mixed, or made by hand, raise ValueError instead of being followed out of bounds.

        One bound callable per thread: its work arrays are its own, not shared-safe. On a
        small one-output tape (up to ``workmem.PACKED_NODES`` nodes) a call with two
        writable float64 arrays takes the packed kernel (:mod:`scalargraph.smallcall`) on
        a packed copy of the tape of its own (12 B/node + 32 B/node + 8 B per constant).
        Cost: one fused forward-with-partials + reverse sweep, no allocation; 32 B/node held.
        """
        return _Bound(self, self._output(output))

    def buffer(self, output=None):
        """``call, x, gradient = tape.buffer()``: CasADi's ``F.buffer()`` model, the cheapest
        call from Python. Write the point into ``x`` (float64, n_inputs); ``call()`` takes no
        arguments, returns the value of the output and writes its gradient into
        ``gradient``; both arrays are overwritten by the next call. See
        :func:`scalargraph.smallcall.buffer`. One buffer per thread.
        Cost: one fused sweep per call, no checks, no allocation; 32 B/node held."""
        return _smallcall.buffer(self, self._output(output))

    # ---- straight-line code (scalargraph/specialize.py, source.py) -------------------------
    def specialize(self, max_nodes=None):
        """This tape as straight-line Numba code, compiled and cached on disk: an object with
        ``__call__``, ``gradient``, ``value_and_gradient``, ``jvp`` (and batches) giving this
        tape's results bit for bit, and ``kernel`` for user ``@njit`` loops. See
        :class:`scalargraph.specialize.Specialized`. Cost: O(n_nodes) to write; each method
        compiles on first call (25-50 ms per node), later loaded from disk (~10 ms)."""
        from .specialize import specialize
        return specialize(self, max_nodes)

    def to_source(self, language="python", output=None):
        """Straight-line source of this tape: ``"python"`` (readable forward and backward
        pass, one line per node), ``"c"`` (C99 value, gradient and jvp) or ``"numba"``. See
        :mod:`scalargraph.source`. Cost: O(n_nodes) Python."""
        from .source import to_source
        return to_source(self, language, output)
    # ---- end of straight-line code

    # ---- where nodes sit ------------------------------------------------------------------
    def index(self, node):
        """Position of ``node`` in this tape's arrays (what :meth:`values` etc. index by).

        Raises ValueError for a node of another graph, or one that is not in the tape
        because no output depends on it.

        Cost: O(log n_nodes) (binary searches; the positions are sorted once per tape, 4 B/node
        kept). After common-subexpression elimination a node
        merged away answers the position of the node it merged into.
        """
        if type(node) is not Node:
            raise TypeError(f"index() needs a Node, got {type(node).__name__}")
        if self._source is None:
            raise ValueError("this tape was not compiled from a graph in this process "
                             "(it was loaded or unpickled), so it cannot locate nodes")
        if node.graph is not self._graph:
            raise ValueError(f"{node!r} belongs to another graph than this tape's")
        source = self._source
        if self._input_order is None:  # sorted once, so each lookup is O(log n_inputs)
            self._input_order = np.argsort(source[:self.n_inputs], kind="stable")
        order = self._input_order
        j = int(np.searchsorted(source[:self.n_inputs], node.index, sorter=order))
        if j < order.shape[0] and source[order[j]] == node.index:
            return int(order[j])
        rest = source[self.n_inputs:]
        if self._rest_order is None:  # sorted once: a depth-first tape is not in record order
            self._rest_order = np.argsort(rest, kind="stable").astype(np.int32)
        j = int(np.searchsorted(rest, node.index, sorter=self._rest_order))
        if j < rest.shape[0] and rest[self._rest_order[j]] == node.index:
            return self.n_inputs + int(self._rest_order[j])
        if self._merged is not None:  # CSE merged it: the surviving node's position
            graph_idx, position = self._merged
            j = int(np.searchsorted(graph_idx, node.index))
            if j < graph_idx.shape[0] and graph_idx[j] == node.index:
                return int(position[j])
        raise ValueError(f"{node!r} is not in this tape: no output depends on it, so "
                         "compile removed it (dead code)")

    # ---- pictures -------------------------------------------------------------------------
    def to_dot(self, x=None, **options):
        """Graphviz DOT text of this tape: see :func:`scalargraph.export.to_dot`.

        Cost: one forward (+ one reverse) sweep when ``x`` is given; refused over 500 nodes.
        """
        from .export import to_dot  # export imports this module
        return to_dot(self, x, **options)

    def _repr_html_(self):
        """A notebook shows the explorer page (at x = 1, ..., 1) of a small tape (see
        :func:`scalargraph.explore.notebook_html`), else a summary table of its ops."""
        from . import display
        from .explore import notebook_html
        page = notebook_html(self)
        return page if page is not None else display.html_text(self)

    # ---- saving and pickling ---------------------------------------------------------------
    def save(self, path, *, compress=False):
        """Write this tape to ``path`` (versioned .npz): see :func:`scalargraph.io.save`.

        Cost: O(n_nodes); the file holds 9 B per node + 8 B per constant (+ zip headers)."""
        from .io import save  # io imports this module
        save(self, path, compress=compress)

    @staticmethod
    def load(path):
        """Read a tape saved by :meth:`save`, validated first: see :func:`scalargraph.io.load`.

        Cost: O(n_nodes): the reads, a CRC check per array, and the tape validation."""
        from .io import load
        return load(path)

    def __reduce__(self):
        """Pickle as the arrays alone (no graph, no per-node objects); unpickling validates
        them again, and the unpickled tape cannot :meth:`index` nodes."""
        from .io import reduce_tape
        return reduce_tape(self)

    def __setstate__(self, state):
        """A pickle that builds a Tape without its reducer: validated like any other (issue 12)."""
        from .io import setstate_tape
        setstate_tape(self, state)

    # ---- second order ----------------------------------------------------------------------
    def hvp(self, x, v, output=None, workers=None):
        """Hessian-vector product H v of one output, array (n_inputs,), by forward-over-reverse.

        For points ``x`` (B, n_inputs) and ``v`` (n_inputs,) or (B, n_inputs): (B, n_inputs),
        one point after another.
        Cost: two sweeps, about 1.2 to 2 times :meth:`gradient`; 48 B/node work memory.
        See :func:`scalargraph.second_order.hvp`.
        """
        X = self._points(x)  # batches: scalargraph/evaluation.py
        if X is not None:
            return _evaluation.hvp(self, X, v, output, workers)
        from . import second_order
        return second_order.hvp(self, x, v, output)

    def hessian(self, x, output=None):
        """Hessian of one output, array (n_inputs, n_inputs), from n_inputs products H e_j.

        Entry (i, j) is d gradient_i / d x_j: column j is H e_j (:meth:`hvp`), as in
        :meth:`sparse_hessian` and ``sg.hessian``; symmetric up to rounding, except through
        ``sg.custom_gradient`` partials that are not a gradient.
        Cost: one forward sweep with partials + n_inputs second-order sweep pairs.
        See :func:`scalargraph.second_order.hessian`.
        """
        from . import second_order
        return second_order.hessian(self, x, output)

    # ---- sparse Jacobians and Hessians (scalargraph/sparsity.py) ----------------------------
    def jacobian_sparsity(self, method="auto"):
        """Boolean csr_array (n_outputs, n_inputs) of the Jacobian's structural nonzeros: see
        :func:`scalargraph.sparsity.jacobian_sparsity`. Cost: O(n_nodes + index-set sizes)."""
        from . import sparsity
        return sparsity.jacobian_sparsity(self, method)

    def hessian_sparsity(self, output=None):
        """Boolean csr_array (n_inputs, n_inputs) of one output's Hessian structural nonzeros:
        see :func:`scalargraph.sparsity.hessian_sparsity`. Cost: O(n_nodes + pairs)."""
        from . import sparsity
        return sparsity.hessian_sparsity(self, output)

    def sparse_plan(self, kind="jacobian", mode="auto", output=None, ordering=None):
        """Pattern + coloring, made once and reused at every point (picklable): see
        :func:`scalargraph.sparsity.sparse_plan`. Cost: the pattern + a coloring."""
        from . import sparsity
        return sparsity.sparse_plan(self, kind, mode, output, ordering)

    def sparse_jacobian(self, x, mode="auto", plan=None):
        """The Jacobian as a csr_array, one sweep per color: see
        :func:`scalargraph.sparsity.sparse_jacobian`. Cost: (1 + colors) sweeps."""
        from . import sparsity
        return sparsity.sparse_jacobian(self, x, mode, plan)

    def sparse_hessian(self, x, output=None, plan=None):
        """One output's Hessian as a csr_array, one H v per color: see
        :func:`scalargraph.sparsity.sparse_hessian`. Cost: 1 + 2 x colors sweeps."""
        from . import sparsity
        return sparsity.sparse_hessian(self, x, output, plan)


class _Bound:
    """What :meth:`Tape.bind` returns: the fused kernel with its arrays bound."""

    __slots__ = ("_args", "_shape", "_blob", "_n")

    @property
    def args(self):
        """The kernel's nine leading arguments (read-only: ``__call__`` passes them to the
        kernel unchecked, so ``f.args = ...`` with another tape's arrays must not reach it)."""
        return self._args

    def __init__(self, tape, output):
        n = tape.n_nodes
        # The kernel's leading arguments: the tape, which output, then the work arrays.
        # values has one slot more, after the last node's, which the sweep never writes: the
        # seal of the tape arrays that sg.value_and_gradient_kernel checks (kernels/sealed.py).
        values = np.empty(n + 1)
        values[n:].view(np.uint64)[0] = _sealed.seal(tape.op, tape.arg0, tape.arg1, tape.consts,
                                                     tape.outputs)
        self._args = (tape.op, tape.arg0, tape.arg1, tape.consts, tape.outputs, np.int64(output),
                      values, np.empty((n, 2)), np.empty(n))
        self._shape = (tape.n_inputs,)
        self._n = tape.n_inputs
        # A small one-output tape: its own blob for the short path (scalargraph/smallcall.py).
        self._blob = _smallcall.new_blob(tape) if tape._small else None

    def __call__(self, x, gradient):
        # The short path: both arrays exactly the type the kernel was compiled for (see
        # Tape.value_and_gradient), so the compiled entry point may take them.
        blob = self._blob
        if (blob is not None and type(x) is _ndarray and type(gradient) is _ndarray
                and x.dtype is _F64 and gradient.dtype is _F64 and x.ndim == 1
                and gradient.ndim == 1 and len(x) == self._n and len(gradient) == self._n
                and x.flags.carray and gradient.flags.carray):
            return _smallcall.vg(blob, x, gradient)
        # An ndarray subclass (np.memmap, ...) is passed as a plain view of the same memory:
        # Numba compiles for plain arrays, and the gradient must land where the caller looks.
        if type(x) is not np.ndarray and isinstance(x, np.ndarray):
            x = x.view(np.ndarray)
        if type(gradient) is not np.ndarray and isinstance(gradient, np.ndarray):
            gradient = gradient.view(np.ndarray)
        if not (type(x) is np.ndarray and x.shape == self._shape and x.dtype == np.float64
                and x.flags.c_contiguous and type(gradient) is np.ndarray
                and gradient.shape == self._shape and gradient.dtype == np.float64
                and gradient.flags.c_contiguous and gradient.flags.writeable):
            raise TypeError(f"a bound tape takes two contiguous float64 arrays of shape "
                            f"{self._shape}: the inputs, and a writable array for the gradient")
        op, arg0, arg1, consts, outputs, k, values, partials, adjoints = self._args
        return _sweeps.value_and_gradient(op, arg0, arg1, consts, outputs, k, values, partials,
                                           adjoints, x, gradient)
