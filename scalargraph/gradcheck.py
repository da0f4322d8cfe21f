"""``sg.check_grads``: derivatives of a tape (or a traced function) against central differences.

What JAX's ``check_grads`` and PyTorch's ``gradcheck`` do, on a tape:

* **forward mode**: ``J v`` (``Tape.jvp``) against the central difference
  ``(f(x + h v) - f(x - h v)) / 2h``;
* **reverse mode**: ``<J^T w, v>`` (``Tape.vjp``) against ``<w, central difference along v>``;
* **the transpose identity** ``<w, J v> = <J^T w, v>``, which needs no step at all: the two
  modes must agree to rounding;
* **second order** (``order=2``): ``H v`` (``Tape.hvp``) of every output against the central
  difference of its gradient, ``(g(x + h v) - g(x - h v)) / 2h``, and the symmetry
  ``<u, H v> = <v, H u>``.

Directions: the unit vectors when there are at most ``full_up_to`` inputs (every Jacobian
entry is checked, and the report names it by (output, input)), else ``n_random`` random unit
directions drawn from ``seed``; output weights likewise. The step is ``h = eps * max(1,
max|x|)`` with ``eps`` = (machine epsilon)^(1/3) ~ 6.1e-6 by default, the step that balances
the central difference's truncation error (O(h^2)) against its rounding error (O(eps/h)).

An entry passes when ``|AD - FD| <= atol + rtol * max(|AD|, |FD|) + noise``, where ``noise``
= 4 * machine epsilon * max|f(x +- h v)| / h bounds the rounding error of the difference
itself (so that a large value with a small derivative does not fail by cancellation).
"""

import math

import numpy as np

from . import validate

_EPS = np.finfo(np.float64).eps


class GradCheckError(AssertionError):
    """Raised by :func:`check_grads` on failure; ``.report`` holds the whole report."""

    def __init__(self, message, report):
        super().__init__(message)
        self.report = report


class GradCheckReport:
    """What :func:`check_grads` found: one entry per compared number.

    Attributes
    ----------
    entries : list of dict
        ``check`` (``"forward"``, ``"reverse"``, ``"transpose"``, ``"hvp"``, ``"symmetry"``),
        ``output``, ``direction`` (an input index for unit directions, else ``"v3"`` ...),
        ``ad``, ``reference``, ``error``, ``tolerance``, ``ok``.
    step : float
        The central-difference step h used.
    ok : bool
        Every entry passed.
    """

    def __init__(self, step, order, unit_directions):
        self.step, self.order, self.unit_directions = step, order, unit_directions
        self.entries = []

    def add(self, check, output, direction, ad, reference, tolerance):
        ad, reference = float(ad), float(reference)
        error = abs(ad - reference) if ad != reference else 0.0
        self.entries.append(dict(check=check, output=output, direction=direction, ad=ad,
                                 reference=reference, error=error, tolerance=float(tolerance),
                                 ok=bool(ad == reference or error <= tolerance)))

    @property
    def ok(self):
        return all(e["ok"] for e in self.entries)

    @property
    def failures(self):
        return [e for e in self.entries if not e["ok"]]

    @property
    def worst(self):
        """The entry with the largest error / tolerance (NaN errors count as worst)."""
        def badness(e):
            if e["ok"]:
                return e["error"] / e["tolerance"] if e["tolerance"] > 0 else 0.0
            return np.inf if not np.isfinite(e["error"]) else 1.0 + e["error"] / max(
                e["tolerance"], 1e-300)
        return max(self.entries, key=badness) if self.entries else None

    def describe(self, e):
        what = {"forward": "forward mode J v", "reverse": "reverse mode <J^T w, v>",
                "transpose": "<w, J v> = <J^T w, v>", "hvp": "H v (forward-over-reverse)",
                "symmetry": "<u, H v> = <v, H u>"}[e["check"]]
        ref = "the other mode" if e["check"] in ("transpose", "symmetry") else \
            f"central difference (step {self.step:.3g})"
        d = (f"d output {e['output']} / d input {e['direction']}" if self.unit_directions
             and isinstance(e["direction"], int) else
             f"output {e['output']}, direction {e['direction']}")
        return (f"{what}, {d}: AD {e['ad']:.10g}, {ref} {e['reference']:.10g}, "
                f"|difference| {e['error']:.3g} vs tolerance {e['tolerance']:.3g}")

    def __str__(self):
        checks = sorted({e["check"] for e in self.entries})
        head = (f"check_grads (order {self.order}, step {self.step:.3g}): "
                f"{len(self.entries) - len(self.failures)} of {len(self.entries)} entries "
                f"passed ({', '.join(checks)})")
        if self.entries:
            head += "\nworst: " + self.describe(self.worst)
        return head

    __repr__ = __str__


def _as_tape(f, x):
    from .tape import Tape
    from .transforms import trace
    if isinstance(f, Tape):
        return f, validate.point(f, np.ravel(x) if np.ndim(x) > 1 else x)
    if not callable(f):
        raise TypeError(f"check_grads needs a Tape or a function, got {type(f).__name__}")
    a = np.asarray(x)
    if a.dtype.kind not in "iuf":
        raise TypeError(f"x must be real numbers, got dtype {a.dtype}")
    a = a.astype(np.float64)
    tape = trace(f, 1 if a.ndim == 0 else (a.size if a.ndim == 1 else a.shape))
    return tape, a.reshape(-1)


def _directions(n, full_up_to, n_random, rng):
    if n <= full_up_to:
        return np.eye(n), list(range(n))
    V = rng.normal(size=(n_random, n))
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    return V, [f"v{j}" for j in range(n_random)]


def _is_number(v):
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def check_grads(f, x, order=1, *, modes=("fwd", "rev"), eps=None, rtol=1e-5, atol=1e-7,
                output=None, full_up_to=16, n_random=6, seed=0, raise_on_failure=True):
    """Check a tape's (or a function's) derivatives at ``x`` against central differences.

    Parameters
    ----------
    f : Tape or callable
        A function is traced first (``sg.trace``): on ``len(x)`` scalars or one array, as it
        is written.
    x : array-like
        The point.
    order : {1, 2}
        1: first derivatives; 2: also Hessian-vector products of every output.
    modes : tuple of {"fwd", "rev"}
        Which modes to check; with both, the transpose identity is checked too.
    eps : float, optional
        Relative step; h = eps * max(1, max|x|). Default (machine epsilon)^(1/3) ~ 6.1e-6.
    rtol, atol : float
        Tolerances (see the module docstring for the rounding allowance added).
    output : int, optional
        Check one output only (default: all).
    full_up_to, n_random, seed
        At most ``full_up_to`` inputs (outputs): every unit direction (weight), else
        ``n_random`` random unit directions from ``np.random.default_rng(seed)``.
    raise_on_failure : bool
        Raise :class:`GradCheckError` naming the worst entry when an entry fails (default),
        else return the report either way.

    Returns
    -------
    GradCheckReport

    Cost: 2 evaluations per direction (one batched call), one jvp per direction, one vjp per
    weight; for order 2, 2 batched gradients and one hvp per direction and output.
    """
    if order not in (1, 2):
        raise ValueError(f"order must be 1 or 2, got {order!r}")
    if isinstance(modes, str):
        modes = (modes,)
    if not modes or any(m not in ("fwd", "rev") for m in modes):
        raise ValueError(f"modes must hold 'fwd' and/or 'rev', got {modes!r}")
    # A step or tolerance that is not a number would turn every entry into a FAILED nan
    # (or an infinite step into a meaningless difference), blamed on the derivatives.
    if eps is not None and not (_is_number(eps) and 0.0 < eps < math.inf):
        raise ValueError(f"eps must be a positive finite number (a relative step), got {eps!r}")
    for name, value in (("rtol", rtol), ("atol", atol)):
        if not (_is_number(value) and value >= 0.0):
            raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    tape, x = _as_tape(f, x)
    n, m = tape.n_inputs, tape.n_outputs
    outputs = range(m) if output is None else [validate.output_index(tape, output)]
    h = float((eps if eps is not None else _EPS ** (1 / 3)) * max(1.0, float(np.max(
        np.abs(x), initial=0.0))))
    rng = np.random.default_rng(seed)
    V, names = _directions(n, full_up_to, n_random, rng)
    W, w_names = _directions(m, full_up_to, n_random, rng)
    report = GradCheckReport(h, order, n <= full_up_to)

    with np.errstate(all="ignore"):
        ahead, behind = tape(x + h * V), tape(x - h * V)               # (k, m) each
        fd = (ahead - behind) / (2 * h)                                 # J v_j, row j
        noise = 4 * _EPS * np.maximum(np.abs(ahead), np.abs(behind)) / h
        jv = np.array([tape.jvp(x, v) for v in V]) if "fwd" in modes else None
        wj = np.array([tape.vjp(x, w) for w in W]) if "rev" in modes else None

    def tol(ad, ref, extra=0.0):
        return atol + rtol * max(abs(ad), abs(ref)) + extra

    for j, v_name in enumerate(names):
        for i in outputs:
            if jv is not None:
                report.add("forward", i, v_name, jv[j, i], fd[j, i],
                           tol(jv[j, i], fd[j, i], noise[j, i]))
        if wj is None:
            continue
        for k, w in enumerate(W):
            if output is not None and not np.any(w[list(outputs)]):
                continue
            ad = wj[k] @ V[j]
            ref = w @ fd[j]
            report.add("reverse", w_names[k] if m > full_up_to else k, v_name, ad, ref,
                       tol(ad, ref, np.abs(w) @ noise[j]))
            if jv is not None:  # the transpose identity: no step, only rounding
                lhs = w @ jv[j]
                scale = np.abs(w) @ np.abs(jv[j]) + np.abs(wj[k]) @ np.abs(V[j])
                report.add("transpose", w_names[k] if m > full_up_to else k, v_name, lhs, ad,
                           64 * n * _EPS * scale + 1e-300)
    if order == 2:
        _second_order(tape, x, h, V, names, outputs, report, tol)
    if raise_on_failure and not report.ok:
        bad = report.worst
        raise GradCheckError(f"check_grads failed: {len(report.failures)} of "
                             f"{len(report.entries)} entries; worst: {report.describe(bad)}",
                             report)
    return report


def _second_order(tape, x, h, V, names, outputs, report, tol):
    n = tape.n_inputs
    for i in outputs:
        with np.errstate(all="ignore"):
            ahead = tape.gradient(x + h * V, output=i)                  # (k, n)
            behind = tape.gradient(x - h * V, output=i)
            fd = (ahead - behind) / (2 * h)                             # H v_j, row j
            noise = 4 * _EPS * np.maximum(np.abs(ahead), np.abs(behind)) / h
            hv = np.array([tape.hvp(x, v, output=i) for v in V])
        for j, v_name in enumerate(names):
            for c in range(n):
                report.add("hvp", i, f"{v_name}, component {c}", hv[j, c], fd[j, c],
                           tol(hv[j, c], fd[j, c], noise[j, c]))
        for a in range(len(V)):  # symmetry: <v_b, H v_a> = <v_a, H v_b>
            for b in range(a + 1, len(V)):
                lhs, rhs = V[b] @ hv[a], V[a] @ hv[b]
                scale = np.abs(V[b]) @ np.abs(hv[a]) + np.abs(V[a]) @ np.abs(hv[b])
                report.add("symmetry", i, f"{names[a]}, {names[b]}", lhs, rhs,
                           64 * n * _EPS * scale + 1e-300)
