"""The cost report and the benchmark harness: ``python -m scalargraph.bench``.

Nothing here is part of the engine; it measures the engine.

===============  =============================================================
module          what it holds
===============  =============================================================
``report``      the command line: runs the claims, writes report.md/.html, results.json
``claims``      claims 1-3 (cheap gradient, mirror image, paths), measured
``claims_graph`` claims 4-5 and the core targets (linear, memory, 10^6-op chain)
``timing``      interleaved timing, robust statistics, bootstrap intervals, slopes
``checks``      verdicts (matches / differs / inconclusive) and the report collector
``provenance``  the report's header: date, commit, machine, load, versions
``html``        the self-contained HTML page (plots inline)
``readme``      README.md's results table, regenerated from docs/results.json
``workloads``   the benchmark graphs, one registry for asv, the report, tests
``peers``       what the engine is measured against (hand-written Numba, CasADi)
``peers_casadi`` any tape as CasADi SX Functions, node for node (plain and buffer calls)
``peer_table``  the plain-call table: plain calls, bind(), hand loops, CasADi, interleaved
``plots``       the report's figures (matplotlib, optional)
===============  =============================================================
"""

from .report import forward_differences, main, run
from .peers import (casadi_chain, hand_chain, hand_chain_value_and_derivative, hand_wide_sum,
                    hand_wide_sum_value_and_gradient)
from .timing import interleaved, seconds, side_by_side, slope, slope_estimate, work_bytes

__all__ = ["main", "run", "forward_differences", "casadi_chain", "hand_chain",
           "hand_chain_value_and_derivative", "hand_wide_sum", "hand_wide_sum_value_and_gradient",
           "interleaved", "seconds", "side_by_side",
           "slope", "slope_estimate", "work_bytes"]
