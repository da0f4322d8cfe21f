"""Second order on the tape: Hessian-vector products by forward-over-reverse, and Hessians.

``Tape.hvp`` and ``Tape.hessian`` call :func:`hvp` and :func:`hessian`. One product is two
sweeps: forward, the values and partials (the core's lines) with their tangents in the
direction v (``kernels.second.forward_second_fused``); reverse, the
adjoints and their tangents together (``kernels.second.reverse_second``). A Hessian computes
values and partials once and then runs the other two sweeps per column. The second partials
that ``forward_second`` needs are not written by hand: they are the op table's partial rules
differentiated as graphs (``tools/gen_rules.py`` writes them into ``kernels/rules.py``).

:func:`hvp_symbolic` computes the same product the other way (DL book 6.5.5): the gradient
graph, built once per tape by :func:`scalargraph.grad` and compiled, then its forward-mode
``jvp``. It serves as an independent check and as the alternative the benchmark compares.
"""

import threading
import weakref

import numpy as np

from . import validate, workmem as _workmem
from .kernels import forward as _forward, second as _so
from .arrays import NodeArray
from .graph import Graph
from .symbolic import grad

# Node-rows of second-order sweeps per kernel call in hessian(): 15-60 ms at 4-15 ns each.
ROWS_WORK = 1 << 22
_GRADIENT_TAPES = weakref.WeakKeyDictionary()  # tape -> {output: gradient tape}
_LOCK = threading.Lock()


def _work(tape, buf):
    """values, partials, tangents, dpartials, adjoints, adjoint tangents: views of ``buf``
    (8 n elements, from the tape's kept buffer: scalargraph/workmem.py)."""
    n = tape.n_nodes
    return (buf[:n], buf[n:3 * n].reshape(n, 2), buf[3 * n:4 * n],
            buf[4 * n:6 * n].reshape(n, 2), buf[6 * n:7 * n], buf[7 * n:8 * n])


def _reverse_pair(tape, partials, dpartials, adjoints, adjoint_tangents, seed_at):
    """The second sweep of a product: adjoints seeded with 1.0 at ``seed_at`` and their
    tangents, back to the inputs; H v, a new array (n_inputs,)."""
    adjoints[:] = 0.0
    adjoint_tangents[:] = 0.0
    adjoints[seed_at] = 1.0
    _so.reverse_second(tape.arg0, tape.arg1, partials, dpartials, adjoints, adjoint_tangents)
    return adjoint_tangents[:tape.n_inputs].copy()


def hvp_on(tape, values, partials, v, seed_at, tangents, dpartials, adjoints,
           adjoint_tangents):
    """H v of node ``seed_at`` on a linearization already made (``values``, ``partials`` at a
    checked point; tangents, dpartials, adjoints, adjoint tangents: n_nodes each): the two
    second-order sweeps, a new array (n_inputs,). For sparse Hessians, one product per
    color."""
    n_in = tape.n_inputs
    tangents[:n_in] = v
    _so.forward_second(n_in, tape.op, tape.arg0, tape.arg1, tape.consts, values, partials,
                       tangents, dpartials)
    return _reverse_pair(tape, partials, dpartials, adjoints, adjoint_tangents, seed_at)


def hvp(tape, x, v, output=None):
    """Hessian-vector product H v of one output at ``x``, by forward-over-reverse.

    Parameters
    ----------
    tape : Tape
    x : sequence of float, length n_inputs
    v : sequence of float, length n_inputs
    output : int, optional
        Which output; may be omitted when the tape has one.

    Returns
    -------
    ndarray (n_inputs,)

    Cost: two sweeps (values, partials and their tangents; adjoints and their tangents),
    about 1.2 to 2 times the gradient whatever n_inputs is (benchmarks/bench_second_order.py);
    64 B/node work memory (values 8, partials and their tangents 32, tangents 8, adjoints
    and their tangents 16), kept between calls (:mod:`scalargraph.workmem`).
    Kinks: the second partials of relu, abs, maximum, minimum, leaky_relu and gt are 0
    (derivatives of their step-function partials); first-order kinks as in
    :meth:`Tape.gradient`. A zero factor blocks its path (strong zero).
    """
    validate.require_tape(tape, "second_order.hvp")
    x = validate.point(tape, x)
    v = validate.vector(v, tape.n_inputs, "direction v")
    seed_at = int(tape.outputs[validate.output_index(tape, output)])
    buf = _workmem.take(tape, 8 * tape.n_nodes)
    values, partials, tangents, dpartials, adjoints, adjoint_tangents = _work(tape, buf)
    _so.forward_second_fused(tape.op, tape.arg0, tape.arg1, tape.consts, x, v, values,
                             partials, tangents, dpartials)
    out = _reverse_pair(tape, partials, dpartials, adjoints, adjoint_tangents, seed_at)
    _workmem.give(tape, buf)
    return out


def hessian(tape, x, output=None):
    """The Hessian of one output at ``x``, array (n_inputs, n_inputs), from n products H e_j.

    Entry (i, j) is d gradient_i / d x_j, as :meth:`Tape.sparse_hessian`,
    :func:`scalargraph.hessian` and finite differences of the gradient give it: column j
    is H e_j (:func:`hvp`). The columns are computed independently, so symmetry holds to
    rounding, not by construction; through ``sg.custom_gradient`` partials that are not a
    gradient the matrix is not symmetric.

    Cost: one forward sweep with partials, then n_inputs pairs of second-order sweeps
    (tangents, then adjoints with their tangents), compiled, in slices of ``ROWS_WORK``
    node-rows per kernel call so that Ctrl-C stops a large Hessian between slices; 64 B/node
    work memory, reused.
    Kinks: as :func:`hvp`.
    """
    validate.require_tape(tape, "second_order.hessian")
    x = validate.point(tape, x)
    seed_at = int(tape.outputs[validate.output_index(tape, output)])
    n, n_in = tape.n_nodes, tape.n_inputs
    hess = np.zeros((n_in, n_in))
    if n_in == 0:
        return hess
    buf = _workmem.take(tape, 8 * n)
    values, partials, *work = _work(tape, buf)
    _forward.forward_partials(tape.op, tape.arg0, tape.arg1, tape.consts, x, values, partials)
    # Rows in slices of at most ROWS_WORK node-rows per kernel call (about 15-60 ms), so
    # that Ctrl-C (raised between calls) stops a large Hessian; a small one is one call.
    step = max(1, ROWS_WORK // n)
    for lo in range(0, n_in, step):
        _so.hessian_rows(n_in, lo, min(n_in, lo + step), tape.op, tape.arg0, tape.arg1,
                         tape.consts, values, partials, *work, seed_at, hess)
    _workmem.give(tape, buf)
    # hessian_rows writes H e_j into row j: transposed, so that column j is H e_j (a
    # custom_gradient's Hessian need not be symmetric; it was returned transposed against
    # sparse_hessian, sg.hessian and hvp)
    return np.ascontiguousarray(hess.T)


def graph_of(tape):
    """A new :class:`Graph` holding the tape's nodes at the same positions.

    Returns ``(graph, inputs, outputs)`` as NodeArrays, so that symbolic derivatives can be
    taken of a tape (e.g. one that was loaded from a file).
    Cost: copies the tape arrays (9 B/node + 8 B/constant).
    """
    validate.require_tape(tape, "second_order.graph_of")
    g = Graph()
    arg0 = np.array(tape.arg0, dtype=np.int32)
    arg0[:tape.n_inputs] = -1  # a recorded variable has no arguments
    g.op.frombytes(np.ascontiguousarray(tape.op).tobytes())
    g.arg0.frombytes(arg0.tobytes())
    g.arg1.frombytes(np.ascontiguousarray(tape.arg1, dtype=np.int32).tobytes())
    g.consts.frombytes(np.ascontiguousarray(tape.consts).tobytes())
    inputs = NodeArray(g, np.arange(tape.n_inputs, dtype=np.int64))
    outputs = NodeArray(g, np.asarray(tape.outputs, dtype=np.int64))
    return g, inputs, outputs


def gradient_tape(tape, output=None):
    """The compiled gradient graph of one output (symbol-to-symbol), cached per tape.

    Its outputs are d output / d input for every input, in input order.
    Cost: once per (tape, output): a Python walk over the tape (about 10 us per node) and a
    compile; then a dict look-up.
    """
    validate.require_tape(tape, "second_order.gradient_tape")
    from .flatten import compile as _compile
    k = validate.output_index(tape, output)
    with _LOCK:
        found = _GRADIENT_TAPES.get(tape, {}).get(k)
    if found is not None:
        return found
    _, inputs, outputs = graph_of(tape)
    made = _compile(inputs, grad(outputs[k], inputs))
    with _LOCK:
        return _GRADIENT_TAPES.setdefault(tape, {}).setdefault(k, made)


def hvp_symbolic(tape, x, v, output=None):
    """H v as the forward-mode ``jvp`` of the compiled gradient graph (:func:`gradient_tape`).

    Equal to :func:`hvp` to rounding; here as an independent check and for comparison.
    Cost: one forward sweep with partials + one tangent sweep over the gradient tape
    (1.5 to 3 times the nodes of ``tape`` on the benchmark workloads), after the one-off
    :func:`gradient_tape`.
    Kinks: as :func:`scalargraph.grad` (IEEE arithmetic at run time, no strong zero across
    the graph's own products).
    """
    return gradient_tape(tape, output).jvp(x, v)
