"""The cost report: ``python -m scalargraph.bench`` measures every cost claim in one run.

Each claim of backpropagation's cost becomes ratios measured side by side in one process
(on one machine, at one moment, so machine speed cancels), fitted log-log slopes printed
next to the slope the claim predicts, and PNG plots:

1. reverse mode is cheap: gradient / forward stays flat in n for f: R^n -> R, while the
   forward-mode gradient (n tangent directions) and finite differences (n + 1 evaluations)
   grow like n, and finite differences lose about half the digits;
2. the mirror image: for f: R -> R^m forward mode is one sweep and reverse needs m, and
   ``jacobian(mode="auto")`` picks the cheaper;
3. dynamic programming beats path enumeration: the sum over paths (DL book 6.5.6, see
   :mod:`scalargraph.paths`) doubles per diamond, the reverse sweep grows linearly;
4. linear in the graph: ns per node of the forward, reverse and tangent sweeps and of
   compile stay constant from 10^3 to 10^6 nodes (10^7 with ``--full``);
5. memory is the price of reverse mode: work memory of each mode against graph size;

plus the core engine's targets at 10^6 nodes: the forward sweep against the same chain
written by hand as a straight Numba loop, gradient / forward, and CasADi's SX virtual
machine when ``casadi`` is installed (optional).

Usage: ``python -m scalargraph.bench [--quick | --full] [--out DIR] [--claims 1,3]
[--no-plots]``. The default run takes about a minute on 2 cores; ``--quick`` runs tiny
sizes in seconds (a smoke test, its numbers mean little).
"""

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from . import workloads as W
from .peers import casadi_chain, hand_chain, hand_chain_value_and_derivative  # noqa: F401
from .timing import Report, format_table, seconds, side_by_side, slope, work_bytes, _fmt
from ..paths import count_paths, path_gradient
from .claim_sparse import claim_sparse

# Sizes per mode. Forward-mode gradients and finite differences cost ~n^2, hence their caps.
SIZES = {
    "quick": dict(budget=0.004, wide=[10, 100, 1000], fd_max=1000, fan=[1, 10, 100],
                  depths=list(range(2, 13, 2)), path_stop=0.05, deep=[100, 1000],
                  linear=[10**3, 10**4], target=10**4),
    "default": dict(budget=0.08, wide=[10, 100, 10**3, 10**4, 10**5, 10**6], fd_max=10**4,
                    fan=[1, 10, 100, 10**3, 10**4], depths=list(range(2, 31, 2)),
                    path_stop=0.4, deep=[10**3, 10**4, 10**5],
                    linear=[10**3, 10**4, 10**5, 10**6], target=10**6),
    "full": dict(budget=0.3, wide=[10, 100, 10**3, 10**4, 10**5, 10**6], fd_max=3 * 10**4,
                 fan=[1, 10, 100, 10**3, 10**4, 3 * 10**4], depths=list(range(2, 41, 1)),
                 path_stop=5.0, deep=[10**3, 10**4, 10**5, 10**6],
                 linear=[10**3, 10**4, 10**5, 10**6, 10**7], target=10**6),
}
LINEAR_WORKLOADS = ("chain", "wide_sum", "random_dag")
EPS = np.finfo(np.float64).eps
# A fitted slope "matches" its prediction within TOL: on a shared 2-core machine single
# timings move by tens of percent, which moves a slope over one decade by up to ~0.15.
TOL = 0.2


# ---- claim 1: reverse mode is cheap ----------------------------------------------------------
def forward_differences(tape, x):
    """Gradient by one-sided finite differences: n + 1 evaluations of ``tape``.

    Step sqrt(eps) * max(1, |x_i|), the step that balances truncation and rounding error:
    about half of float64's digits survive.
    """
    f0 = tape(x)[0]
    grad = np.empty(x.shape[0])
    xp = x.copy()
    for i in range(x.shape[0]):
        h = math.sqrt(EPS) * max(1.0, abs(x[i]))
        xp[i] = x[i] + h
        grad[i] = (tape(xp)[0] - f0) / (xp[i] - x[i])
        xp[i] = x[i]
    return grad


def claim_cheap_gradient(rep, cfg):
    rows, ns, rev, fwdm, fd = [], [], [], [], []
    for n in cfg["wide"]:
        rep.progress("claim 1 (cheap gradient)", f"wide_sum n={n:,}")
        w = W.wide_sum(n)
        t, x = w.tape, w.x
        fns = [lambda: t(x), lambda: t.gradient(x)]
        if n <= cfg["fd_max"]:
            fns += [lambda: t.jacobian(x, mode="forward"), lambda: forward_differences(t, x)]
        t_f, t_r, *rest = side_by_side(fns, cfg["budget"])
        r_fm = r_fd = digits = None
        if rest:
            t_fm, t_fd = rest
            exact = t.gradient(x)
            err = np.max(np.abs(forward_differences(t, x) - exact)) / np.max(np.abs(exact))
            r_fm, r_fd, digits = t_fm / t_f, t_fd / t_f, -math.log10(max(err, 1e-17))
            fwdm.append(r_fm), fd.append(r_fd)
        ns.append(n), rev.append(t_r / t_f)
        rows.append((n, w.n_nodes, t_f * 1e6, t_r / t_f, r_fm, r_fd, digits))
        del w, t
    rep.tables.append((
        "Claim 1: reverse mode is cheap (f = sum sin(x_i x_{i+1}), R^n -> R)",
        ["n inputs", "nodes", "forward us", "reverse/fwd", "fwd-mode grad/fwd",
         "fin.diff/fwd", "fin.diff digits"], rows,
        "reverse = tape.gradient (one reverse sweep); fwd-mode grad = "
        "tape.jacobian(mode='forward') (n directions, 64 per sweep); fin.diff = n + 1 "
        "evaluations, one-sided, step sqrt(eps); digits = -log10(max error / max |grad|), "
        "float64 has 15.9."))
    big = [i for i, n in enumerate(ns) if n >= 1000]
    s = slope([ns[i] for i in big], [rev[i] for i in big])
    rep.check(1, "reverse/forward vs n (n >= 1000)", s, "0 (flat, <= 5)",
              abs(s) <= TOL and max(rev) <= 5)
    big = [i for i in range(len(fwdm)) if ns[i] >= 1000]
    s = slope([ns[i] for i in big], [fwdm[i] for i in big])
    rep.check(1, "fwd-mode gradient/forward vs n (n >= 1000)", s, "1", abs(s - 1) <= TOL)
    s = slope([ns[i] for i in big], [fd[i] for i in big])
    rep.check(1, "finite differences/forward vs n (n >= 1000)", s, "1", abs(s - 1) <= TOL)
    d = [r[6] for r in rows if r[6] is not None]
    rep.check(1, "finite-difference digits (min)", min(d), "~8 (half of 15.9)", 5 <= min(d) <= 11)
    rep.curves["claim1"] = dict(n=ns, rev=rev, fwdm=fwdm, fd=fd)


# ---- claim 2: the mirror image ---------------------------------------------------------------
def claim_mirror(rep, cfg):
    rows, curves, ok = [], {}, True
    for name, label in (("fan_out", "R -> R^m"), ("wide_sum", "R^n -> R")):
        sizes, tf, tr = [], [], []
        for m in cfg["fan"]:
            if name == "wide_sum" and m < 2:
                continue
            rep.progress("claim 2 (mirror image)", f"{name} size={m:,}")
            w = W.build(name, m)
            t, x = w.tape, w.x
            t_fwd, t_rev, t_auto = side_by_side(
                [lambda mode=mode: t.jacobian(x, mode=mode)
                 for mode in ("forward", "reverse", "auto")], cfg["budget"])
            best = min(t_fwd, t_rev)
            # Timing noise on a shared machine is tens of percent at these call times, so
            # modes within 2x of each other tie (either choice is right); otherwise auto
            # matched when its time is nearer (in log) to the cheaper mode's than the other's.
            tie = max(t_fwd, t_rev) <= 2 * best
            cheaper = "tie" if tie else "forward" if t_fwd < t_rev else "reverse"
            other = max(t_fwd, t_rev)
            matched = tie or abs(math.log(t_auto / best)) < abs(math.log(t_auto / other))
            ok &= matched
            rows.append((label, t.n_inputs, t.n_outputs, t_fwd * 1e6, t_rev / t_fwd,
                         t_auto / best, cheaper, "yes" if matched else "NO"))
            sizes.append(m), tf.append(t_fwd), tr.append(t_rev)
        curves[name] = dict(size=sizes, fwd=tf, rev=tr)
    rep.tables.append((
        "Claim 2: the mirror image (Jacobian by forward vs reverse mode)",
        ["f", "n", "m", "forward-mode us", "reverse/forward", "auto/cheaper", "cheaper",
         "auto matched"], rows,
        "f: R -> R^m is y_k = sin(c_k h(x)) c_k; f: R^n -> R is the wide sum. cheaper: "
        "'tie' where the modes are within 2x (either choice is right)."))
    fan, wide = curves["fan_out"], curves["wide_sum"]
    k = len(fan["size"])
    s = slope(fan["size"][k // 2:], np.divide(fan["rev"], fan["fwd"])[k // 2:])
    rep.check(2, "R->R^m: reverse/forward vs m", s, "1", abs(s - 1) <= TOL)
    k = len(wide["size"])
    s = slope(wide["size"][k // 2:], np.divide(wide["fwd"], wide["rev"])[k // 2:])
    rep.check(2, "R^n->R: forward/reverse vs n", s, "1", abs(s - 1) <= TOL)
    rep.check(2, "jacobian(mode='auto') picks the cheaper", "all" if ok else "not all",
              "all", ok)
    rep.curves["claim2"] = curves


# ---- claim 3: dynamic programming beats path enumeration -------------------------------------
def claim_paths(rep, cfg):
    rows, ds, tp, tr = [], [], [], []
    for depth in cfg["depths"]:
        rep.progress("claim 3 (paths)", f"diamond depth={depth}")
        w = W.diamond(depth)
        t, x = w.tape, w.x
        n_paths = count_paths(t)
        t_p, t_r = side_by_side([lambda: path_gradient(t, x), lambda: t.gradient(x)],
                                cfg["budget"])
        g, gp = t.gradient(x), path_gradient(t, x)
        agree = float(np.max(np.abs(gp - g) / np.maximum(np.abs(g), 1e-300)))
        rows.append((depth, w.n_nodes, n_paths, t_p * 1e6, t_r * 1e6, t_p / t_r, agree))
        ds.append(depth), tp.append(t_p), tr.append(t_r)
        if t_p > cfg["path_stop"]:
            break
    rep.tables.append((
        "Claim 3: dynamic programming vs the sum over paths (ladder of diamonds)",
        ["depth", "nodes", "paths", "path-sum us", "reverse us", "path-sum/reverse",
         "rel. difference"], rows,
        "path-sum = sg.path_gradient (DL book 6.5.6, compiled walk over every path); "
        "reverse = tape.gradient; paths = sg.count_paths (exact, dynamic programming)."))
    fit = [i for i, v in enumerate(tp) if v > 1e-4]
    s = slope([ds[i] for i in fit], [tp[i] for i in fit], log_x=False)
    rep.check(3, "log2(path-sum time) per diamond", s, "1 (doubles per level)",
              abs(s - 1) <= TOL)
    deep_n, deep_t = [], []
    for depth in cfg["deep"]:
        rep.progress("claim 3 (paths)", f"reverse sweep only, depth={depth:,}")
        w = W.diamond(depth)
        deep_n.append(depth)
        deep_t.append(seconds(lambda: w.tape.gradient(w.x), cfg["budget"]))
    s = slope(deep_n, deep_t)
    rep.check(3, f"reverse time vs depth {deep_n[0]:,}..{deep_n[-1]:,}", s, "1 (linear)",
              abs(s - 1) <= TOL)
    rep.curves["claim3"] = dict(depth=ds, paths=tp, reverse=tr, deep=deep_n, deep_t=deep_t)


# ---- claim 4: linear in the graph ------------------------------------------------------------
def claim_linear(rep, cfg):
    rows, curves = [], {}
    for name in LINEAR_WORKLOADS:
        c = curves[name] = {k: [] for k in ("nodes", "build", "compile", "forward",
                                           "reverse", "tangent", "bytes")}
        for size in cfg["linear"]:
            rep.progress("claim 4 (linear)", f"{name} ~{size:,} nodes")
            t0 = time.perf_counter()
            w = W.with_nodes(name, size)
            t_build = time.perf_counter() - t0
            t, x = w.tape, w.x
            v = np.ones(t.n_inputs)
            n = t.n_nodes
            t_c, t_f, t_r, t_t = side_by_side(
                [w.recompile, lambda: t(x), lambda: t.gradient(x), lambda: t.jvp(x, v)],
                cfg["budget"])
            per = [v_ * 1e9 / n for v_ in (t_build, t_c, t_f, t_r, t_t)]
            adj = np.abs(t.adjoints(x))
            tiny = 100 * np.mean(adj < np.finfo(np.float64).tiny)
            rows.append((name, n, *per, t.nbytes / n, tiny))
            for k, val in zip(("nodes", "build", "compile", "forward", "reverse", "tangent",
                               "bytes"), (n, *per, t.nbytes / n)):
                c[k].append(val)
            del w, t
    rep.tables.append((
        "Claim 4: linear in the graph (ns per tape node)",
        ["workload", "nodes", "build+compile", "compile", "forward", "reverse", "tangent",
         "tape B/node", "% adjoints 0/subnormal"], rows,
        "forward = tape(x), reverse = tape.gradient(x), tangent = tape.jvp(x, v); "
        "build+compile = recording in Python and sg.compile, once. The last column: adjoints "
        "that are exactly 0 (the reverse sweep skips them) or subnormal (slow arithmetic); "
        "where it is large, the sweep times are not typical."))
    for name, c in curves.items():
        big = [i for i, n in enumerate(c["nodes"]) if n >= 10**4] or list(range(len(c["nodes"])))
        for key in ("forward", "reverse", "tangent", "compile"):
            secs = [c[key][i] * c["nodes"][i] for i in big]
            s = slope([c["nodes"][i] for i in big], secs)
            rep.check(4, f"{name}: {key} time vs nodes", s, "1", abs(s - 1) <= TOL)
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
        # The slot map that jvp sweeps over is made once per tape (12 B/node, kept with it,
        # like the tape's own 9 B/node): build it first, so only per-call memory is measured.
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
        "(tracemalloc), after a first jvp has built the tape's slot map (its cost, kept with "
        "the tape, is the 'first jvp' column). Reverse mode must keep every value and partial "
        "for the backward sweep; forward mode carries values and tangents in work-vector "
        "slots that are reused once a node's last reader is done, so on a chain it needs a "
        "few slots whatever the length. tape(x) returns from a sweep that writes every value "
        "(faster than reading the slot map)."))
    for key in ("forward", "reverse"):
        s = slope(c["nodes"][-3:], c[key][-3:])
        rep.check(5, f"{key} work memory vs nodes", s, "1", abs(s - 1) <= TOL)
    s = slope(c["nodes"][-3:], [max(v, 1) for v in c["tangent"][-3:]])
    rep.check(5, "tangent work memory vs nodes", s, "0 (flat: live nodes only)", abs(s) <= TOL)
    last = rows[-1]
    rep.check(5, "reverse/tangent work memory (largest)", last[5], "> 1 (reverse stores more)",
              last[5] > 1.2)
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
    assert abs(hand_chain(0.5, steps) - t(x)[0]) <= 1e-12 * (1 + abs(t(x)[0]))
    try:
        rep.progress("targets", "CasADi SX (optional peer): building its Functions")
        calls, out = casadi_chain(steps)
        calls[0][0]()
        assert abs(out[0] - t(x)[0]) <= 1e-9 * (1 + abs(out[0]))
        fns += [call for call, _ in calls]
    except ImportError:
        rep.progress("targets", "CasADi is not installed (pip install casadi to compare): skipped")
    rep.progress("targets", "timing all of them side by side")
    # More, shorter rounds than elsewhere: these ratios are the ones the core is held to.
    t_f, t_r, t_t, h_f, h_g, *cas = side_by_side(fns, cfg["budget"] / 4, rounds=15)
    rows = [("scalargraph tape", per(t_f), per(t_r), per(t_t), t_r / t_f),
            ("hand-written Numba loop", per(h_f), per(h_g), per(h_g), h_g / h_f)]
    if cas:
        rows.append(("CasADi SX (buffer call)", per(cas[0]), per(cas[1]), per(cas[2]),
                     cas[1] / cas[0]))
    rep.tables.append((
        f"Core targets: chain h <- sin(h)*0.999 + 1e-5, {ops_:,} op nodes (ns per op node)",
        ["implementation", "forward", "value+gradient", "one JVP", "(v+g)/forward"], rows,
        "hand-written loop: value only / value and derivative carried together, nothing "
        "stored; CasADi: SX Function, gradient by ca.gradient, JVP by ca.jtimes."))
    rep.check("core", "forward / hand loop", t_f / h_f, "<= 2", t_f / h_f <= 2)
    rep.check("core", "reverse gradient / forward", t_r / t_f, "<= 3", t_r / t_f <= 3)
    if cas:
        for label, mine, theirs in (("forward", t_f, cas[0]), ("value+gradient", t_r, cas[1]),
                                    ("JVP", t_t, cas[2])):
            rep.check("core", f"{label} / CasADi SX", mine / theirs, "< 1", mine < theirs)
    rep.curves["targets"] = rows


CLAIMS = {"1": claim_cheap_gradient, "2": claim_mirror, "3": claim_paths,
          "4": claim_linear, "5": claim_memory, "6": claim_sparse, "core": claim_targets}


def run(mode="default", claims=None, stream=None):
    """Measure the chosen claims (keys of :data:`CLAIMS`; all by default); return the Report.

    Progress lines go to ``stream`` (default: sys.stdout at call time).
    """
    cfg = SIZES[mode]
    rep = Report(stream if stream is not None else sys.stdout)
    for key in claims or CLAIMS:
        CLAIMS[key](rep, cfg)
    return rep


def render(rep):
    """The report's text: every table, then the slope checks."""
    parts = [format_table(*t) for t in rep.tables]
    rows = [(str(c), q, f if isinstance(f, str) else _fmt(f), p, v) for c, q, f, p, v in rep.checks]
    parts.append(format_table("Fitted slopes and ratios against each claim's prediction",
                              ["claim", "quantity", "measured", "predicted", "verdict"], rows))
    return "\n\n".join(parts)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m scalargraph.bench",
                                description=__doc__.split("\n")[0])
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="tiny sizes, a few seconds (smoke test)")
    size.add_argument("--full", action="store_true", help="large sizes (10^7 nodes), minutes")
    p.add_argument("--out", default="bench-out", help="directory for plots and results.json")
    p.add_argument("--claims", default=None,
                   help=f"comma-separated subset of {','.join(CLAIMS)} (default: all)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    args = p.parse_args(argv)
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
    text = render(rep)
    print("\n" + text + f"\n\ntotal {time.perf_counter() - rep.started:.1f} s", flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.md").write_text(text + "\n")
    (out / "results.json").write_text(json.dumps(
        {"mode": mode, "tables": rep.tables, "checks": rep.checks, "curves": rep.curves},
        default=_json_default, indent=1))
    if not args.no_plots:
        from .plots import plot_all
        written = plot_all(rep.curves, out)
        print(f"plots: {', '.join(str(p) for p in written)}" if written else
              "plots skipped: matplotlib is not installed (pip install matplotlib)")
    return rep


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(type(o).__name__)


if __name__ == "__main__":
    main()
