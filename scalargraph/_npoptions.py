"""What NumPy's reductions may pass to the reductions of nodes (``np.sum(na, ...)``)."""

import numpy as np


def reduction_options(name, dtype, kwargs):
    """Refuse the options of NumPy's reductions that a reduction of nodes does not honour
    (``np.sum(na, where=mask)`` summed every element: a wrong value, silently); what it
    honours is popped from ``kwargs`` by its caller first. ``keepdims=False`` and
    ``dtype=float64`` change nothing and pass."""
    if kwargs.get("keepdims") is False:
        kwargs.pop("keepdims")
    if kwargs:
        raise TypeError(f"np.{name} of nodes does not support {', '.join(sorted(kwargs))}: "
                        f"select the nodes first (na[mask]), or record the rest with sg "
                        f"functions")
    if dtype is not None and np.dtype(dtype) != np.float64:
        raise TypeError(f"np.{name} of nodes computes in float64, not {np.dtype(dtype)}")
