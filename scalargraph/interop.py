"""SciPy: a tape as the ``fun``, ``jac``, ``hess``, ``hessp`` of ``scipy.optimize.minimize``, and
its outputs as a ``NonlinearConstraint`` with exact Jacobians.

``tape.as_scipy()`` returns a :class:`ScipyObjective`. SciPy's quasi-Newton methods call
``fun(x)`` and then ``jac(x)`` at the same point; one fused sweep
(``Tape.value_and_gradient``) computes both, and the result is kept for the last point, so
the pair costs one forward + reverse sweep, not two. ``hessp`` is ``Tape.hvp``
(forward-over-reverse, about 1.2-2 gradients), ``hess`` ``Tape.hessian``.

SciPy is optional (``pip install ".[scipy]"``); this module imports it only where it builds a
SciPy object (:func:`constraint`, :meth:`ScipyObjective.minimize`).
"""

import threading

import numpy as np

from . import validate

# Which derivatives each minimize method uses: passing one it ignores makes SciPy warn.
_USES = {
    "nelder-mead": (), "powell": (), "cobyla": (), "cobyqa": (),
    "cg": ("jac",), "bfgs": ("jac",), "l-bfgs-b": ("jac",), "tnc": ("jac",), "slsqp": ("jac",),
    "newton-cg": ("jac", "hessp"), "trust-ncg": ("jac", "hessp"),
    "trust-krylov": ("jac", "hessp"), "trust-constr": ("jac", "hessp"),
    "dogleg": ("jac", "hess"), "trust-exact": ("jac", "hess"),
}


def _scipy_optimize():
    try:
        import scipy.optimize
    except ImportError:
        raise ImportError("this needs SciPy: pip install scipy (or, in a scalargraph "
                          "checkout, pip install '.[scipy]')") from None
    return scipy.optimize


class ScipyObjective:
    """One output of a tape as SciPy callables: ``fun``, ``jac``, ``hess``, ``hessp``.

    Made by :meth:`Tape.as_scipy`. Value and gradient come from one fused call and are kept
    for the last point (compared bit for bit), so ``fun(x)`` then ``jac(x)`` sweeps once.

    Attributes
    ----------
    sweeps : int
        Fused value-and-gradient sweeps run so far (``fun`` + ``jac`` calls minus cache hits).
    calls : dict
        How often SciPy called each of ``fun``, ``jac``, ``hess``, ``hessp``.
    """

    def __init__(self, tape, output=None):
        if tape.n_data:
            raise ValueError(f"this tape has {tape.n_data} data input(s): SciPy sees one "
                             "vector x; compile the data as constants, or use a function "
                             "transform (sg.value_and_grad) with the data as an argument")
        self.tape = tape
        self.output = validate.output_index(tape, output)
        self.sweeps = 0
        self.calls = dict(fun=0, jac=0, hess=0, hessp=0)
        self._lock = threading.Lock()
        self._x = self._value = self._grad = None

    def __repr__(self):
        return f"<ScipyObjective: output {self.output} of {self.tape!r}, {self.sweeps} sweeps>"

    def _evaluate(self, x):
        x = validate.point(self.tape, x)
        with self._lock:
            if self._x is not None and _same_point(x, self._x):
                return self._value, self._grad
        value, grad = self.tape.value_and_gradient(x, self.output)
        with self._lock:
            self.sweeps += 1
            self._x, self._value, self._grad = x.copy(), value, grad
        return value, grad

    def fun(self, x):
        """The output's value at ``x`` (float). Cost: one fused sweep, or none when the
        gradient at this x was just computed."""
        self.calls["fun"] += 1
        return self._evaluate(x)[0]

    def jac(self, x):
        """The gradient at ``x``, array (n_inputs,). Cost: as :meth:`fun` (shares its sweep)."""
        self.calls["jac"] += 1
        return self._evaluate(x)[1].copy()

    def fun_and_jac(self, x):
        """``(value, gradient)``, for ``minimize(..., jac=True)``. Cost: one fused sweep."""
        self.calls["fun"] += 1
        value, grad = self._evaluate(x)
        return value, grad.copy()

    def hessp(self, x, p):
        """H(x) p, array (n_inputs,). Cost: :meth:`Tape.hvp`, about 1.2-2 gradients."""
        self.calls["hessp"] += 1
        return self.tape.hvp(x, p, self.output)

    def hess(self, x):
        """H(x), array (n_inputs, n_inputs). Cost: :meth:`Tape.hessian`, n_inputs products."""
        self.calls["hess"] += 1
        return self.tape.hessian(x, self.output)

    def kwargs(self, method):
        """The keyword arguments of ``scipy.optimize.minimize`` that ``method`` uses:
        ``fun`` and, as the method needs them, ``jac``, ``hessp`` or ``hess``."""
        uses = _USES.get(str(method).lower())
        if uses is None:
            raise ValueError(f"unknown minimize method {method!r}; known: {sorted(_USES)}")
        return dict(fun=self.fun, **{name: getattr(self, name) for name in uses})

    def minimize(self, x0, method="L-BFGS-B", **options):
        """``scipy.optimize.minimize(x0=x0, method=method, **self.kwargs(method), **options)``.

        Cost: what the method needs, one fused sweep per new point.
        """
        return _scipy_optimize().minimize(x0=np.asarray(x0, dtype=np.float64), method=method,
                                          **{**self.kwargs(method), **options})


def _same_point(x, kept):
    """Whether the cached results at ``kept`` answer for ``x``: the same bits, not equal
    values (0.0 == -0.0, and 1 / x tells them apart). Both are float64 (n_inputs,)."""
    return x.tobytes() == kept.tobytes()


class _ConstraintParts:
    """Values and Jacobian of every output, each kept for the last point."""

    def __init__(self, tape):
        if tape.n_data:
            raise ValueError(f"this tape has {tape.n_data} data input(s): a constraint sees "
                             "one vector x")
        self.tape = tape
        self._lock = threading.Lock()
        self._vals = (None, None)
        self._jac = (None, None)

    def _cached(self, slot, x, compute):
        x = validate.point(self.tape, x)
        with self._lock:
            kept_x, kept = getattr(self, slot)
            if kept_x is not None and _same_point(kept_x, x):
                return kept
        result = compute(x)
        with self._lock:
            setattr(self, slot, (x.copy(), result))
        return result

    def fun(self, x):
        return self._cached("_vals", x, self.tape).copy()

    def jac(self, x):
        return self._cached("_jac", x, self.tape.jacobian).copy()

    def hess(self, x, v):
        """sum_i v_i H_i(x), as a LinearOperator: each product runs one hvp per output with
        a non-zero weight."""
        from scipy.sparse.linalg import LinearOperator
        tape = self.tape
        x = validate.point(tape, x).copy()
        v = validate.vector(v, tape.n_outputs, "constraint weights v").copy()
        active = np.flatnonzero(v)

        def matvec(p):
            p = np.ravel(p)
            out = np.zeros(tape.n_inputs)
            for i in active:
                out += v[i] * tape.hvp(x, p, int(i))
            return out

        return LinearOperator((tape.n_inputs, tape.n_inputs), matvec=matvec, dtype=np.float64)


def constraint(tape, lb=-np.inf, ub=0.0, hess=True):
    """The tape's outputs as ``scipy.optimize.NonlinearConstraint(fun, lb, ub, jac, hess)``:
    ``lb <= outputs(x) <= ub``.

    ``jac`` is the exact Jacobian (:meth:`Tape.jacobian`, the cheaper mode), values and
    Jacobian each kept for the last point; ``hess`` (for ``trust-constr``) the exact
    ``sum_i v_i H_i`` as a LinearOperator of Hessian-vector products (``hess=False`` leaves
    SciPy's quasi-Newton default). For SLSQP's dict form, use ``{"type": "ineq", "fun":
    c.fun, "jac": c.jac}`` (SLSQP's "ineq" means ``fun(x) >= 0``).

    Cost: per new point, one forward sweep (values) and one Jacobian (min(n_inputs,
    n_outputs) directions in blocks); per Hessian product, one hvp per weighted output.
    """
    optimize = _scipy_optimize()
    parts = _ConstraintParts(tape)
    extra = {"hess": parts.hess} if hess else {}
    return optimize.NonlinearConstraint(parts.fun, lb, ub, jac=parts.jac, **extra)
