"""The cost report: ``python -m scalargraph.bench`` measures every cost claim in one run.

Each claim of backpropagation's cost becomes ratios timed interleaved in one process (on one
machine, at one moment, so machine speed cancels), slopes fitted over at least four sizes
with bootstrap intervals, and a verdict per number: matches, differs or inconclusive
(:mod:`scalargraph.bench.checks`). The claims:

1. reverse mode is cheap: gradient / forward stays flat in n for f: R^n -> R, while the
   forward-mode gradient (n tangent directions) and finite differences (n + 1 evaluations)
   grow like n, and finite differences lose about half the digits;
2. the mirror image: for f: R -> R^m forward mode is one sweep and reverse needs m, and
   ``jacobian(mode="auto")`` picks the cheaper;
3. dynamic programming beats path enumeration: the sum over paths (DL book 6.5.6, see
   :mod:`scalargraph.paths`) doubles per diamond, the reverse sweep grows linearly;
4. linear in the graph: forward, reverse and tangent sweeps and compile cost a constant
   number of ns per node from 10^4 to 10^6 nodes (10^7 with ``--full``);
5. memory is the price of reverse mode: work memory of each mode against graph size;
6. a sparse Jacobian costs one sweep per color, not per input: colors stay 5 on a stencil,
   time per node flat in the unknowns (:mod:`scalargraph.bench.claim_sparse`; needs SciPy);

plus the core engine's targets at 10^6 nodes: the forward sweep against the same chain
written by hand as a straight Numba loop, gradient / forward, and CasADi's SX virtual
machine when ``casadi`` is installed (optional).

Usage: ``python -m scalargraph.bench [--quick | --full] [--out DIR] [--claims 1,3]
[--no-plots]`` writes report.md, report.html (plots inline), results.json and PNGs;
``python -m scalargraph.bench --readme [--results docs/results.json]`` rewrites README.md's
results table (and docs/cost-claims.png) from a saved results.json, measuring nothing.
The default run takes one to two minutes on 2 cores; ``--quick`` runs tiny sizes in
seconds (a smoke test, its verdicts mean little).
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from . import claims as C1, claims_graph as C2
from .claim_sparse import claim_sparse
from .checks import DIFFERS, INCONCLUSIVE, MATCHES, Report, format_table
from .claims import forward_differences  # noqa: F401  (re-exported)
from .provenance import machine, load_average

# Forward-mode time per operation is not constant in n: each block of 64 tangent columns
# is a fresh n_nodes x 64 array (page faults, zeroing), and at 10^4 inputs the blocks shrink
# to 26 columns (8 MiB cap) and leave the faster caches. The claim is about operations.
_CACHE_NOTE = ("time per operation varies with n (fresh tangent blocks, caches): the claim "
               "is about operations (the row above); the time row checks the trend, +-0.5")
# Sizes per mode. Forward-mode gradients and finite differences cost ~n^2, hence their caps.
SIZES = {
    "quick": dict(budget=0.004, rev_from=30, wide=[10, 30, 100, 300, 1000], fm_max=1000, fd_max=1000,
                  fan=[1, 3, 10, 30, 100], mirror_wide=[10, 30, 100, 300],
                  depths=list(range(2, 13, 2)), path_stop=0.05, deep=[100, 300, 1000, 3000],
                  linear=[10**3, 3000, 10**4, 3 * 10**4], linear_from=10**3, target=10**4),
    "default": dict(budget=0.08, rev_from=1000, wide=[10, 100, 300, 1000, 3000, 10**4, 10**5,
                                                         10**6],
                    fm_max=3000, fd_max=3000, fan=[1, 10, 100, 300, 1000, 3000, 10**4],
                    mirror_wide=[10, 100, 300, 1000, 3000],
                    depths=list(range(2, 31, 2)), path_stop=0.4,
                    deep=[10**3, 3000, 10**4, 3 * 10**4, 10**5],
                    linear=[10**3, 10**4, 3 * 10**4, 10**5, 3 * 10**5, 10**6],
                    linear_from=10**4, target=10**6),
    "full": dict(budget=0.3, rev_from=1000, wide=[10, 100, 300, 1000, 3000, 10**4, 10**5,
                                                      10**6],
                 fm_max=10**4, fd_max=10**4, fan=[1, 10, 100, 300, 1000, 3000, 10**4, 3 * 10**4],
                 mirror_wide=[10, 100, 300, 1000, 3000, 10**4],
                 depths=list(range(2, 41, 1)), path_stop=5.0,
                 deep=[10**3, 10**4, 3 * 10**4, 10**5, 3 * 10**5, 10**6],
                 linear=[10**3, 10**4, 10**5, 3 * 10**5, 10**6, 3 * 10**6, 10**7],
                 linear_from=10**4, target=10**6),
}
for _cfg in SIZES.values():
    _cfg.update(slope_sizes=4, cache_tol=0.5, cache_note=_CACHE_NOTE)

CLAIMS = {"1": C1.claim_cheap_gradient, "2": C1.claim_mirror, "3": C1.claim_paths,
          "4": C2.claim_linear, "5": C2.claim_memory, "6": claim_sparse,
          "core": C2.claim_targets}
QUICK_CAVEAT = ("**--quick: a smoke test.** At these tiny sizes call overhead dominates the "
                "times and slopes are fitted over small ranges: the verdicts below mean "
                "little. Run without --quick for verdicts.")
VERDICT_NOTE = ("Verdicts compare the 95% bootstrap interval, widened by a systematic "
                "allowance (0.05 for slopes, 10% for ratios: what repeats within one run "
                "cannot see), with the predicted band (a slope within 0.2 of the "
                "prediction, a ratio within its bound): matches = the whole interval inside, "
                "differs = the whole interval outside, inconclusive = it crosses the edge "
                "(noise) or too few sizes. Counted numbers (exact) get no allowance. Times "
                "are CPU time of the process, the 20th percentile of many short repeats, "
                "the calls compared timed interleaved.")


def run(mode="default", claims=None, stream=None):
    """Measure the chosen claims (keys of :data:`CLAIMS`; all by default); return the Report.

    Progress lines go to ``stream`` (default: sys.stdout at call time). The report's header
    (machine, commit, load before and after, total time) is in ``Report.header``.
    """
    cfg = SIZES[mode]
    rep = Report(stream if stream is not None else sys.stdout, mode)
    cpu0 = time.process_time()
    rep.header = machine(mode)
    rep.header["claims"] = ",".join(claims or CLAIMS)
    for key in claims or CLAIMS:
        CLAIMS[key](rep, cfg)
    rep.header["load_after"] = load_average()
    rep.header["total_s"] = round(time.perf_counter() - rep.started, 1)
    rep.header["cpu_s"] = round(time.process_time() - cpu0, 1)
    return rep


def header_lines(h):
    """The report's provenance as markdown lines."""
    load = lambda v: " / ".join(f"{x:.2f}" for x in v) if v else "unknown"
    return [f"- date: {h['date']}",
            f"- commit: {h['commit']}",
            f"- machine: {h['cpu']}, {h['cores']} cores",
            f"- load average (1/5/15 min): before {load(h['load_before'])}, "
            f"after {load(h.get('load_after'))}",
            f"- versions: " + ", ".join(f"{k} {v}" for k, v in h["versions"].items()),
            f"- mode: {h['mode']} (claims {h.get('claims', 'all')}), total "
            f"{h.get('total_s', float('nan')):.1f} s wall, "
            f"{h.get('cpu_s', float('nan')):.1f} s CPU"]


def check_rows(checks):
    return [(c["claim"], c["quantity"], c["measured_text"], c["predicted"], c["verdict"],
             c["why"]) for c in checks]


def render(results):
    """The report's markdown text from its results (see :func:`results`)."""
    h = results["header"]
    parts = ["# scalargraph cost report", "\n".join(header_lines(h))]
    if h["mode"] == "quick":
        parts.append(QUICK_CAVEAT)
    parts += [format_table(*t) for t in results["tables"]]
    counts = {v: sum(c["verdict"] == v for c in results["checks"])
              for v in (MATCHES, DIFFERS, INCONCLUSIVE)}
    parts.append(format_table(
        "Verdicts: each measured number against its claim's prediction",
        ["claim", "quantity", "measured [95% interval]", "predicted", "verdict", "why"],
        check_rows(results["checks"]),
        VERDICT_NOTE + " Count: " + ", ".join(f"{n} {v}" for v, n in counts.items()) + "."))
    return "\n\n".join(parts)


def results(rep):
    """Everything the report measured, as JSON-ready data."""
    return {"header": rep.header, "mode": rep.mode, "tables": rep.tables,
            "checks": [c.as_dict() for c in rep.checks], "curves": rep.curves}


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if hasattr(o, "as_dict"):
        return o.as_dict()
    raise TypeError(type(o).__name__)


def save(res, out, plots=True):
    """Write report.md, results.json, the PNGs and report.html (plots inline) into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    text = render(res)
    (out / "report.md").write_text(text + "\n")
    (out / "results.json").write_text(json.dumps(res, default=_json_default, indent=1))
    res = json.loads((out / "results.json").read_text())   # what the HTML sees: plain data
    written = []
    if plots:
        from .plots import plot_all
        written = plot_all(res["curves"], out)
    from .html import page
    (out / "report.html").write_text(page(res, [w for w in written if w.stem != "summary"]))
    return written


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m scalargraph.bench",
                                description=__doc__.split("\n")[0])
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="tiny sizes, a few seconds (smoke test)")
    size.add_argument("--full", action="store_true", help="large sizes (10^7 nodes), minutes")
    size.add_argument("--readme", action="store_true",
                      help="measure nothing: rewrite README.md's results table and "
                           "docs/cost-claims.png from --results")
    p.add_argument("--results", default=None,
                   help="results.json for --readme (default: docs/results.json of the checkout)")
    p.add_argument("--out", default="bench-out",
                   help="directory for report.md, report.html, results.json and the plots")
    p.add_argument("--claims", default=None,
                   help=f"comma-separated subset of {','.join(CLAIMS)} (default: all)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    args = p.parse_args(argv)
    if args.readme:
        from .readme import regenerate
        return regenerate(args.results)
    claims = None
    if args.claims:
        claims = [c.strip() for c in args.claims.split(",")]
        unknown = [c for c in claims if c not in CLAIMS]
        if unknown:
            p.error(f"unknown claim(s) {unknown}; choose from {list(CLAIMS)}")
    mode = "quick" if args.quick else "full" if args.full else "default"
    print(f"scalargraph cost report ({mode} sizes)" + (
        ": a smoke test; at these tiny sizes call overhead dominates and the verdicts "
        "mean little" if mode == "quick" else ""), flush=True)
    rep = run(mode, claims)
    res = results(rep)
    written = save(res, args.out, plots=not args.no_plots)
    print("\n" + render(json.loads(json.dumps(res, default=_json_default))), flush=True)
    if not args.no_plots:
        print(f"plots: {', '.join(str(p) for p in written)}" if written else
              "plots skipped: matplotlib is not installed (pip install matplotlib)")
    print(f"written: {args.out}/report.md, report.html, results.json")
    return rep


if __name__ == "__main__":
    main()
