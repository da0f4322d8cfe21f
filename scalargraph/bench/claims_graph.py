"""Claims 4 and 5 and the core targets: linear in the graph, memory, the 10^6-op chain.

Claim 4 builds every size of a workload first and times all sizes and sweeps in one
interleaved run, so a change of machine load between sizes cannot bend the fitted slope.
"""

import time

import numpy as np

from . import workloads as W
from .peers import casadi_chain, hand_chain, hand_chain_value_and_derivative
from .timing import Estimate, interleaved, slope_estimate, work_bytes

LINEAR_WORKLOADS = ("chain", "wide_sum", "random_dag")
SWEEPS = ("compile", "forward", "reverse", "tangent")


# ---- claim 4: linear in the graph ------------------------------------------------------------
def claim_linear(rep, cfg):
    rows, curves = [], {}
    for name in LINEAR_WORKLOADS:
        built, builds = [], []
        for size in cfg["linear"]:
            rep.progress("claim 4 (linear)", f"{name}: building ~{size:,} nodes")
            t0 = time.perf_counter()
            built.append(W.with_nodes(name, size))
            builds.append(time.perf_counter() - t0)
        rep.progress("claim 4 (linear)", f"{name}: timing {len(built)} sizes x 4 sweeps "
                     "interleaved")
        fns = []
        for w in built:
            t, x, v = w.tape, w.x, np.ones(w.tape.n_inputs)
            fns += [w.recompile, lambda t=t, x=x: t(x), lambda t=t, x=x: t.gradient(x),
                    lambda t=t, x=x, v=v: t.jvp(x, v)]
        s = interleaved(fns, cfg["budget"])
        q = s.stat()
        c = curves[name] = {k: [] for k in ("nodes", "build", *SWEEPS, "bytes")}
        for i, (w, t_build) in enumerate(zip(built, builds)):
            n = w.tape.n_nodes
            per = [t_build * 1e9 / n] + [q[4 * i + k] * 1e9 / n for k in range(4)]
            adj = np.abs(w.tape.adjoints(w.x))
            tiny = 100 * np.mean(adj < np.finfo(np.float64).tiny)
            rows.append((name, n, *per, w.tape.nbytes / n, tiny))
            for key, val in zip(("nodes", "build", *SWEEPS, "bytes"),
                                (n, *per, w.tape.nbytes / n)):
                c[key].append(val)
        big = [i for i, w in enumerate(built) if w.tape.n_nodes >= cfg["linear_from"]]
        xs = [built[i].tape.n_nodes for i in big]
        for k, key in enumerate(SWEEPS):
            est = slope_estimate(xs, [(s, lambda q, j=4 * i + k: q[j]) for i in big])
            rep.slope(4, f"{name}: {key} time vs nodes ({xs[0]:,}..{xs[-1]:,})", est, "1", 1.0)
        del built, fns, s
    rep.tables.append((
        "Claim 4: linear in the graph (ns per tape node)",
        ["workload", "nodes", "build+compile", "compile", "forward", "reverse", "tangent",
         "tape B/node", "% adjoints 0/subnormal"], rows,
        "forward = tape(x), reverse = tape.gradient(x), tangent = tape.jvp(x, v), compile = "
        "sg.compile again; every size and sweep of a workload timed interleaved. "
        "build+compile = recording in Python and sg.compile, once. The last column: adjoints "
        "that are exactly 0 (the reverse sweep skips them) or subnormal (slow arithmetic); "
        "where it is large, the sweep times are not typical."))
    rep.curves["claim4"] = curves


# ---- claim 5: memory is the price of reverse mode --------------------------------------------
def claim_memory(rep, cfg):
    rows, c = [], {k: [] for k in ("nodes", "forward", "reverse", "tangent")}
    warm = W.chain(10)
    for call in (warm.tape, warm.tape.gradient):  # load every kernel before measuring
        call(warm.x)
    warm.tape.jvp(warm.x, [1.0])
    for size in cfg["linear"]:
        rep.progress("claim 5 (memory)", f"chain ~{size:,} nodes")
        w = W.chain(size)
        t, x = w.tape, w.x
        n = t.n_nodes
        # The slot map that jvp sweeps over is made once per tape (kept with it, like the
        # tape itself): build it first, so only per-call memory is measured.
        slot_map = work_bytes(lambda: t.jvp(x, [1.0]))
        b = [work_bytes(lambda: t(x)), work_bytes(lambda: t.gradient(x)),
             work_bytes(lambda: t.jvp(x, [1.0]))]
        rows.append((n, *(v / n for v in b), b[1] / b[0], b[1] / max(b[2], 1),
                     slot_map / n, sum(b) / 3 / 2**20))
        for k, val in zip(("nodes", "forward", "reverse", "tangent"), (n, *b)):
            c[k].append(val)
    rep.tables.append((
        "Claim 5: work memory per call (bytes per tape node, chain)",
        ["nodes", "forward B/node", "reverse B/node", "tangent B/node", "reverse/forward",
         "reverse/tangent", "first jvp B/node", "mean MiB"], rows,
        "peak NumPy allocation during one tape(x), tape.gradient(x), tape.jvp(x, v) "
        "(tracemalloc: counted bytes, the same in every run), after a first jvp has built the "
        "tape's slot map (its cost, kept with the tape, is the 'first jvp' column). Reverse "
        "mode must keep every value and partial for the backward sweep; forward mode carries "
        "values and tangents in work-vector slots that are reused once a node's last reader "
        "is done, so on a chain it needs a few slots whatever the length."))
    big = [i for i, n in enumerate(c["nodes"]) if n >= cfg["linear_from"]]
    xs = [c["nodes"][i] for i in big]
    for key in ("forward", "reverse"):
        est = slope_estimate(xs, [c[key][i] for i in big])
        rep.slope(5, f"{key} work memory vs nodes ({xs[0]:,}..{xs[-1]:,})", est, "1", 1.0)
    est = slope_estimate(xs, [max(c["tangent"][i], 1) for i in big])
    rep.slope(5, f"tangent work memory vs nodes ({xs[0]:,}..{xs[-1]:,})", est,
              "0 (flat: live nodes only)", 0.0)
    rep.bound(5, "reverse/tangent work memory (largest)", Estimate.exact(rows[-1][5]),
              "> 1 (reverse stores more)", lo=1.2)
    rep.curves["claim5"] = c


# ---- the core engine's targets: hand-written loop and CasADi ---------------------------------
def claim_targets(rep, cfg):
    n_ops = cfg["target"]
    rep.progress("targets", f"chain of {n_ops:,} op nodes: sg, hand-written Numba loop")
    w = W.chain(n_ops)
    t, x = w.tape, w.x
    steps, ops_ = w.info["steps"], w.tape.n_nodes - w.tape.n_inputs
    per = lambda s: s * 1e9 / ops_
    fns = [lambda: t(x), lambda: t.gradient(x), lambda: t.jvp(x, [1.0]),
           lambda: hand_chain(0.5, steps), lambda: hand_chain_value_and_derivative(0.5, steps)]
    if abs(hand_chain(0.5, steps) - t(x)[0]) > 1e-12 * (1 + abs(t(x)[0])):
        raise AssertionError("the hand-written chain and the tape disagree")
    try:
        rep.progress("targets", "CasADi SX (optional peer): building its Functions")
        calls, out = casadi_chain(steps)
        calls[0][0]()
        if abs(out[0] - t(x)[0]) > 1e-9 * (1 + abs(out[0])):
            raise AssertionError("CasADi's chain and the tape disagree")
        fns += [call for call, _ in calls]
    except ImportError:
        rep.progress("targets", "CasADi is not installed (pip install casadi to compare): skipped")
    rep.progress("targets", "timing all of them interleaved")
    # More, shorter rounds than elsewhere: these ratios are the ones the core is held to.
    s = interleaved(fns, cfg["budget"], min_rounds=31)
    t_f, t_r, t_t, h_f, h_g, *cas = s.stat()
    rows = [("scalargraph tape", per(t_f), per(t_r), per(t_t), t_r / t_f),
            ("hand-written Numba loop", per(h_f), per(h_g), per(h_g), h_g / h_f)]
    if cas:
        rows.append(("CasADi SX (buffer call)", per(cas[0]), per(cas[1]), per(cas[2]),
                     cas[1] / cas[0]))
    rep.tables.append((
        f"Core targets: chain h <- sin(h)*0.999 + 1e-5, {ops_:,} op nodes (ns per op node)",
        ["implementation", "forward", "value+gradient", "one JVP", "(v+g)/forward"], rows,
        "hand-written loop: value only / value and derivative carried together, nothing "
        "stored; CasADi: SX Function, gradient by ca.gradient, JVP by ca.jtimes. All calls "
        "timed interleaved."))
    rep.bound("core", "forward / hand loop", s.ratio(0, 3), "<= 2", hi=2)
    rep.bound("core", "reverse gradient / forward", s.ratio(1, 0), "<= 3", hi=3)
    if cas:
        for label, mine, theirs in (("forward", 0, 5), ("value+gradient", 1, 6), ("JVP", 2, 7)):
            rep.bound("core", f"{label} / CasADi SX", s.ratio(mine, theirs), "< 1", hi=1)
    rep.curves["targets"] = rows
