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
* **A term that is not finite is NaN** (:func:`product`): a path that crosses an infinite
  or NaN partial makes the derivative NaN (``sqrt'(0)``, ``log'(0)``, ``1/x`` at 0, a
  partial that overflowed). Finite numbers and NaN form an algebra in which sums and
  products regroup freely, so both modes find NaN at the same entries: exactly where a
  path from the input to the output, through uncut edges, crosses a non-finite partial.

Elsewhere the modes agree to rounding, except where a finite intermediate product
overflows in one grouping and not in the other. Each term ``product(d, u)`` is never
``-0.0``, so a sum that received a term is never ``-0.0`` and the not-reached mark
cannot be forged. What a user gets back has ``+ 0.0`` added: ``-0.0`` becomes ``0.0``.
Second order (``kernels/second.py``) keeps the strong zero: it is one mode only.
"""

import math

from numba import njit


@njit(cache=True, nogil=True)
def reached(u):
    """False only for ``-0.0``, the mark of a derivative that no seeded path reaches."""
    return u != 0.0 or math.copysign(1.0, u) > 0.0


@njit(cache=True, nogil=True)
def seed(v):
    """A seed as the sweeps hold it: ``v``, or the not-reached mark where ``v`` is 0."""
    return v if v != 0.0 else -0.0


@njit(cache=True, nogil=True)
def product(d, u):
    """``d * u`` as a term of a sum: itself where finite (``+0.0`` for a zero), NaN where
    it is inf. Two operations, no branch: ``p - p`` is +0.0 for finite p and NaN else."""
    p = d * u
    return p + (p - p)


@njit(cache=True, nogil=True)
def term(d, u):
    """What ``u`` adds through partial ``d``: :func:`product`, or ``-0.0`` (adds nothing)
    where ``d`` is 0 (a cut edge) or ``u`` was not reached."""
    return product(d, u) if (d != 0.0 and reached(u)) else -0.0
