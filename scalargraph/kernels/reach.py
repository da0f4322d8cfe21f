"""The derivative rule every first-order sweep follows, so that forward and reverse mode (and
every route built on them) give the same derivatives.

A derivative d output / d input is a sum over the paths between them of products of local
partials. Forward mode groups the products from the input, reverse mode from the output.
With finite numbers the groupings agree up to rounding; with infinities they do not, since
IEEE arithmetic is not distributive there: ``(1 + 1 - 1) * inf`` is inf but
``inf + inf - inf`` is NaN, and ``(1 - 1) * inf`` is NaN but a strong zero makes it 0. So
``sqrt(z) - sqrt(z)`` or ``sqrt(z + z - z)`` at 0 used to get different answers from the
two modes. The rule that makes every grouping agree:

* **A zero local partial cuts its edge**: nothing crosses it, not even inf or NaN
  (``maximum``'s loser, ``relu`` below 0, ``x * 0.0``, a slot with no parent).
* **What no seed reaches adds nothing.** A derivative that nothing reached yet is held as
  ``-0.0``, IEEE's additive identity (``x + (-0.0) == x`` for every x): an empty sum.
  An input direction or output weight of 0 seeds nothing.
* **A path through a partial that is not finite gives NaN** (:func:`finite_or_nan`):
  ``sqrt'(0)``, ``log'(0)``, ``1/x`` at 0, a partial that overflowed. Finite numbers and
  NaN form an algebra in which sums and products regroup freely, so both modes find NaN at
  the same entries: exactly where a path from the input to the output, through uncut edges,
  crosses a non-finite partial.

Elsewhere the modes agree to rounding, except where a finite product overflows or
underflows in one grouping and not in the other. A term (:func:`term`) is ``-0.0`` only by
underflow, so a sum that received a term is not ``-0.0`` and reads as reached. What a user
gets back has ``+ 0.0`` added: ``-0.0`` becomes ``0.0``. Second order
(``kernels/second.py``) keeps the strong zero: it is one mode only.

Cost: the partial passes through :func:`finite_or_nan` as it is read, off the chain of
dependent operations that bounds a sweep's speed, and a zero derivative takes a branch of
its own. Against the strong-zero sweeps (min of 3 alternating process runs, 10^4-10^5
nodes): gradients 0.99-1.06x (chain 1.055), jvp 1.00-1.04x, forward Jacobian blocks 1.08x.
A first version that normalized every term (``+ 0.0``, on the chain) cost 1.24x.
"""

import math

from numba import njit


@njit(cache=True, nogil=True)
def reached(u):
    """False only for ``-0.0``, the mark of a derivative that no seeded path reaches.
    Branch-free (``|``, not ``or``), so that loops over blocks of directions vectorize."""
    return (u != 0.0) | (math.copysign(1.0, u) > 0.0)


@njit(cache=True, nogil=True)
def seed(v):
    """A seed as the sweeps hold it: ``v``, or the not-reached mark where ``v`` is 0."""
    return v if v != 0.0 else -0.0


@njit(cache=True, nogil=True)
def finite_or_nan(d):
    """A partial as the sweeps multiply it: ``d`` where finite, NaN where inf or NaN.
    ``d - d`` is +0.0 for finite d and NaN else; two operations, no branch."""
    return d + (d - d)


@njit(cache=True, nogil=True)
def term(pd, u):
    """What ``u`` adds through a partial ``pd`` (from :func:`finite_or_nan`, not 0):
    ``pd * u``; ``+0.0`` or NaN where ``u`` is a reached zero; ``-0.0``, which adds
    nothing, where ``u`` was not reached."""
    if u != 0.0:
        return pd * u
    return pd * 0.0 + 0.0 if math.copysign(1.0, u) > 0.0 else -0.0
