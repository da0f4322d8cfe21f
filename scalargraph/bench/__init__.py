"""The cost report and the benchmark harness: ``python -m scalargraph.bench``.

Nothing here is part of the engine; it measures the engine.

==============  =============================================================
module          what it holds
==============  =============================================================
``report``      the claims, measured one by one, and the command line
``timing``      side-by-side timing, slopes, work-memory measurement, tables
``workloads``   the benchmark graphs, one registry for asv, the report, tests
``peers``       what the engine is measured against (hand-written Numba, CasADi)
``plots``       the report's figures (matplotlib, optional)
==============  =============================================================
"""

from .report import forward_differences, main, run
from .peers import casadi_chain, hand_chain, hand_chain_value_and_derivative
from .timing import seconds, side_by_side, slope, work_bytes

__all__ = ["main", "run", "forward_differences", "casadi_chain", "hand_chain",
           "hand_chain_value_and_derivative", "seconds", "side_by_side", "slope", "work_bytes"]
