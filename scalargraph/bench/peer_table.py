"""The plain-call table: every way to call a workload, peers in the same run.

    python -m scalargraph.bench.peer_table                 # the issue's workloads and sizes
    python -m scalargraph.bench.peer_table --quick         # 10x smaller sizes, less time
    python -m scalargraph.bench.peer_table --only wide_sum:100000 --no-casadi

Per workload, every call below is timed interleaved in one :func:`timing.interleaved` run
(A B C ... rounds, CPU-time clock, garbage collection off, one untimed warm-up call each,
median per call), so machine load moves all columns together. Times are ns per tape node
(the same graph for every column: CasADi's is built node for node from the tape,
:mod:`peers_casadi`).

=====================  ===================================================================
column                 what is timed (per call)
=====================  ===================================================================
``hand fwd/v+g``       the hand-written Numba loop (chain, wide sum, toy loss only)
``forward``            ``tape(x)``: validation, forward sweep, outputs copied out
``v+g``                ``tape.value_and_gradient(x)`` (the plain call)
``gradient``           ``tape.gradient(x)``
``jvp``                ``tape.jvp(x, v)``
``bind v+g``           the ``tape.bind()`` callable writing into a given gradient array
``ca fwd/v+g/jvp``     CasADi SX Function, plain call ``F(x)`` (NumPy in, DM out)
``cabuf fwd/v+g/jvp``  the same Functions through ``F.buffer()`` (memoryviews bound once)
=====================  ===================================================================

CasADi is optional: without it (or for an op it has no rule for here) its columns are empty.
"""

import argparse
import os
import time

import numpy as np

from . import peers, workloads as W
from .timing import interleaved

CASES = (("chain", 10**5), ("chain", 10**6), ("wide_sum", 10**4), ("wide_sum", 10**5),
         ("toy_model", 10**4), ("random_dag", 10**5), ("random_dag", 10**6))
COLUMNS = ("hand fwd", "hand v+g", "forward", "v+g", "gradient", "jvp", "bind v+g",
           "ca fwd", "ca v+g", "ca jvp", "cabuf fwd", "cabuf v+g", "cabuf jvp")
# name, numerator column, denominator column
RATIOS = (("v+g / bind", "v+g", "bind v+g"), ("v+g / forward", "v+g", "forward"),
          ("forward / hand", "forward", "hand fwd"), ("v+g / hand", "v+g", "hand v+g"),
          ("v+g / CasADi buffer", "v+g", "cabuf v+g"),
          ("forward / CasADi buffer", "forward", "cabuf fwd"),
          ("jvp / CasADi buffer", "jvp", "cabuf jvp"))


def calls(w, casadi=True):
    """``{column: zero-argument callable}`` for workload ``w``, and notes (dict)."""
    t, x = w.tape, w.x
    v = np.ones(t.n_inputs)
    f, g = t.bind(), np.empty(t.n_inputs)
    out = {"forward": lambda: t(x), "v+g": lambda: t.value_and_gradient(x),
           "gradient": lambda: t.gradient(x), "jvp": lambda: t.jvp(x, v),
           "bind v+g": lambda: f(x, g)}
    hg = np.empty(t.n_inputs)
    if w.name == "chain":
        steps = w.info["steps"]
        out["hand fwd"] = lambda: peers.hand_chain(0.5, steps)
        out["hand v+g"] = lambda: peers.hand_chain_value_and_derivative(0.5, steps)
    elif w.name == "wide_sum":
        out["hand fwd"] = lambda: peers.hand_wide_sum(x)
        out["hand v+g"] = lambda: peers.hand_wide_sum_value_and_gradient(x, hg)
    elif w.name == "toy_model":
        xd, yd = peers.toy_data(w.size)
        out["hand fwd"] = lambda: peers.hand_toy_loss(x, xd, yd)
        out["hand v+g"] = lambda: peers.hand_toy_loss_value_and_gradient(x, xd, yd, hg)
    notes = {}
    if casadi:
        try:
            from .peers_casadi import CasadiCalls
            c = CasadiCalls(t, x, v)
        except (ImportError, NotImplementedError) as e:
            notes["casadi"] = f"skipped: {e}"
        else:
            notes["casadi_build_s"] = c.build_seconds
            notes["_casadi"] = c  # keep the Functions and buffers alive
            out.update({"ca fwd": c.plain_forward, "ca v+g": c.plain_value_and_gradient,
                        "ca jvp": c.plain_jvp, "cabuf fwd": c.buffer_forward,
                        "cabuf v+g": c.buffer_value_and_gradient, "cabuf jvp": c.buffer_jvp})
            _check_casadi(t, x, v, c)
    return out, notes


def _check_casadi(t, x, v, c):
    """CasADi computes the same function (else its times mean nothing)."""
    c.buffer_value_and_gradient(), c.buffer_jvp()
    val, grad = t.value_and_gradient(x)
    tan = t.jvp(x, v)
    scale = max(1.0, float(np.max(np.abs(grad))))
    if not (np.isclose(c.value[0], np.ravel(val)[0], rtol=1e-9, atol=1e-12)
            and np.allclose(c.gradient, grad, rtol=1e-9, atol=1e-12 * scale)
            and np.isclose(c.tangent[0], np.ravel(tan)[0], rtol=1e-9, atol=1e-12 * scale)):
        raise AssertionError("CasADi's Function disagrees with the tape")


def measure(name, size, budget=0.3, casadi=True):
    """One workload: ``(row, notes)``, row = {column: ns per tape node}."""
    t0 = time.perf_counter()
    w = W.build(name, size)
    notes = {"build_s": time.perf_counter() - t0}
    fns, more = calls(w, casadi)
    notes.update(more)
    keys = list(fns)
    la0 = os.getloadavg()[0]
    s = interleaved([fns[k] for k in keys], budget)
    n = w.tape.n_nodes
    row = {k: s.stat(i) * 1e9 / n for i, k in enumerate(keys)}
    notes.update(nodes=n, rounds=s.times.shape[0], load=(la0, os.getloadavg()[0]))
    return row, notes


def ratios(row):
    """``{ratio name: value}`` of :data:`RATIOS` that the row has both sides of."""
    return {r: row[a] / row[b] for r, a, b in RATIOS if a in row and b in row}


LEGEND = ("ns per tape node, the median of each call interleaved with the others (CPU clock, "
          "GC off); hand = the hand-written Numba loop (chain, wide sum, toy loss), ca = "
          "CasADi's plain call, cabuf = its buffer call, v+g = value and gradient; blank: "
          "no such call for that workload")


def markdown(results):
    """The table and the ratios as Markdown lines; ``results`` = [(name, size, row, notes)].
    Columns that no row has (CasADi's, without it) are left out."""
    columns = [c for c in COLUMNS if any(c in row for _, _, row, _ in results)]
    lines = ["| workload | nodes | " + " | ".join(columns) + " |",
             "|---|---|" + "---|" * len(columns)]
    for name, size, row, notes in results:
        cells = [f"{row[c]:.1f}" if c in row else "" for c in columns]
        lines.append(f"| {name}({size:,}) | {notes['nodes']:,} | " + " | ".join(cells) + " |")
    qs = [ratios(row) for _, _, row, _ in results]
    names = [r for r, _, _ in RATIOS if any(r in q for q in qs)]
    lines += ["", "| workload | " + " | ".join(names) + " | load avg |",
              "|---|" + "---|" * (len(names) + 1)]
    for (name, size, row, notes), q in zip(results, qs):
        cells = [f"{q[r]:.2f}" if r in q else "" for r in names]
        la = notes["load"]
        lines.append(f"| {name}({size:,}) | " + " | ".join(cells) + f" | {la[0]:.1f}-{la[1]:.1f} |")
    return lines


def _case(text):
    """``--only NAME:SIZE`` as (name, size), or an argparse error naming what is wrong."""
    name, colon, size = text.partition(":")
    if name not in W.WORKLOADS:
        raise argparse.ArgumentTypeError(f"unknown workload {name!r} in {text!r}; known: "
                                         f"{', '.join(W.WORKLOADS)}")
    try:
        nodes = int(float(size))
    except ValueError:
        nodes = 0
    if not colon or nodes < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME:SIZE with a size >= 1, "
                                         "e.g. wide_sum:100000")
    return name, nodes


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m scalargraph.bench.peer_table",
                                description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="sizes / 10 (wide sum 10^4 stays)")
    p.add_argument("--no-casadi", action="store_true", help="leave out the CasADi columns")
    p.add_argument("--only", action="append", type=_case, metavar="NAME:SIZE",
                   help="one workload at one size (e.g. wide_sum:100000), repeatable")
    p.add_argument("--budget", type=float, default=0.3, help="seconds per call and run")
    a = p.parse_args(argv)
    cases = a.only if a.only else [(n, max(10, s // 10) if a.quick else s) for n, s in CASES]
    results = []
    for name, size in cases:
        row, notes = measure(name, size, a.budget, not a.no_casadi)
        results.append((name, size, row, notes))
        extra = {k: v for k, v in notes.items() if not k.startswith("_")}
        extra["load"] = "{:.1f}-{:.1f}".format(*extra["load"])
        print(f"{name}({size:,}): " + ", ".join(f"{k}={v:.3g}" if isinstance(v, float)
                                                 else f"{k}={v}" for k, v in extra.items()),
              flush=True)
    print(LEGEND)
    print("\n".join(markdown(results)))
    return results


if __name__ == "__main__":
    main()
