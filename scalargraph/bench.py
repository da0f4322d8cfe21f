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
import gc
import json
import math
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
from numba import njit

from . import workloads as W
from .paths import count_paths, path_gradient

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


# ---- measuring ----------------------------------------------------------------------------
def seconds(fn, budget):
    """Seconds per call of ``fn()``: the fastest of up to 7 batches of about budget / 5 each.

    One untimed call first (JIT, caches, page faults). The minimum, not the median: on a
    shared machine other processes only ever add time, so the least-disturbed batch is the
    best estimate of the cost, and both sides of every ratio are measured the same way.
    Garbage collection is off while timing, as in asv. At least 3 batches unless one call
    alone exceeds the budget.
    """
    fn()
    enabled = gc.isenabled()
    gc.disable()
    try:
        number = 1
        while True:
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            dt = time.perf_counter() - t0
            if dt >= budget / 5 or number >= 1 << 20:
                break
            number = max(2 * number, int(number * budget / 5 / max(dt, 1e-9)))
        samples, spent = [dt / number], dt
        while len(samples) < 7 and (spent < budget or len(samples) < 3) and dt <= budget:
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            dt = time.perf_counter() - t0
            samples.append(dt / number)
            spent += dt
        return float(min(samples))
    finally:
        if enabled:
            gc.enable()


def work_bytes(fn):
    """Peak bytes NumPy allocates during ``fn()`` (tracemalloc), above what was live before.

    Counts the arrays the tape methods allocate (values, partials, adjoints, tangents,
    results); memory allocated inside Numba kernels would not be seen.
    """
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def slope(xs, ys, log_x=True):
    """Least-squares slope of log(y) against log(x) (or against x, base 2 for y)."""
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    ok = (ys > 0) & np.isfinite(ys)
    if ok.sum() < 2:
        return float("nan")
    if log_x:
        return float(np.polyfit(np.log(xs[ok]), np.log(ys[ok]), 1)[0])
    return float(np.polyfit(xs[ok], np.log2(ys[ok]), 1)[0])


class Report:
    """Collects tables, slope checks and curves; prints progress as it goes."""

    def __init__(self, stream):
        self.stream = stream
        self.tables = []   # (title, columns, rows, note)
        self.checks = []   # (claim, quantity, fitted, predicted, verdict)
        self.curves = {}   # plot name -> data
        self.started = time.perf_counter()

    def progress(self, claim, what):
        print(f"[{time.perf_counter() - self.started:6.1f}s] {claim}: {what}",
              file=self.stream, flush=True)

    def check(self, claim, quantity, fitted, predicted, ok):
        if isinstance(fitted, float) and math.isnan(fitted):
            verdict = "n/a (too few sizes)"
        else:
            verdict = "matches" if ok else "DIFFERS"
        self.checks.append((claim, quantity, fitted, predicted, verdict))


def _fmt(v):
    if isinstance(v, str):
        return v
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}" if abs(v) < 10**15 else f"{float(v):.3g}"
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 1e5 or a < 1e-2:
        return f"{v:.2e}"
    return f"{v:.3g}" if a < 100 else f"{v:.0f}"


def format_table(title, columns, rows, note=""):
    """Plain-text table (GitHub-markdown compatible) of formatted cells."""
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(str(c)) for c in col) for col in zip(columns, *cells)]
    line = lambda r: "| " + " | ".join(str(c).rjust(w) for c, w in zip(r, widths)) + " |"
    out = [f"### {title}", "", line(columns), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in cells]
    if note:
        out += ["", note]
    return "\n".join(out)


# ---- claim 1: reverse mode is cheap ----------------------------------------------------------
def forward_differences(tape, x):
    """Gradient by one-sided finite differences: n + 1 evaluations, step sqrt(eps) * max(1, |x_i|)."""
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
        t_f = seconds(lambda: t(x), cfg["budget"])
        t_r = seconds(lambda: t.gradient(x), cfg["budget"])
        r_fm = r_fd = digits = None
        if n <= cfg["fd_max"]:
            t_fm = seconds(lambda: t.jacobian(x, mode="forward"), cfg["budget"])
            t_fd = seconds(lambda: forward_differences(t, x), cfg["budget"])
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
              abs(s) < 0.15 and max(rev) <= 5)
    m = len(fwdm)
    s = slope(ns[:m][-3:], fwdm[-3:])
    rep.check(1, "fwd-mode gradient/forward vs n", s, "1", 0.8 <= s <= 1.2)
    s = slope(ns[:m][-3:], fd[-3:])
    rep.check(1, "finite differences/forward vs n", s, "1", 0.8 <= s <= 1.2)
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
            t_fwd = seconds(lambda: t.jacobian(x, mode="forward"), cfg["budget"])
            t_rev = seconds(lambda: t.jacobian(x, mode="reverse"), cfg["budget"])
            t_auto = seconds(lambda: t.jacobian(x, mode="auto"), cfg["budget"])
            cheaper = "forward" if t_fwd <= t_rev else "reverse"
            best = min(t_fwd, t_rev)
            # auto matched when it is as fast as the cheaper mode, within timing noise
            matched = t_auto <= 1.3 * best or abs(t_auto - best) < 20e-6
            ok &= matched
            rows.append((label, t.n_inputs, t.n_outputs, t_fwd * 1e6, t_rev / t_fwd,
                         t_auto / best, cheaper, "yes" if matched else "NO"))
            sizes.append(m), tf.append(t_fwd), tr.append(t_rev)
        curves[name] = dict(size=sizes, fwd=tf, rev=tr)
    rep.tables.append((
        "Claim 2: the mirror image (Jacobian by forward vs reverse mode)",
        ["f", "n", "m", "forward-mode us", "reverse/forward", "auto/cheaper", "cheaper",
         "auto matched"], rows,
        "f: R -> R^m is y_k = sin(c_k h(x)) c_k; f: R^n -> R is the wide sum."))
    fan, wide = curves["fan_out"], curves["wide_sum"]
    k = len(fan["size"])
    s = slope(fan["size"][k // 2:], np.divide(fan["rev"], fan["fwd"])[k // 2:])
    rep.check(2, "R->R^m: reverse/forward vs m", s, "1", 0.7 <= s <= 1.3)
    k = len(wide["size"])
    s = slope(wide["size"][k // 2:], np.divide(wide["fwd"], wide["rev"])[k // 2:])
    rep.check(2, "R^n->R: forward/reverse vs n", s, "1", 0.7 <= s <= 1.3)
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
        t_p = seconds(lambda: path_gradient(t, x), cfg["budget"])
        t_r = seconds(lambda: t.gradient(x), cfg["budget"])
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
              0.8 <= s <= 1.2)
    deep_n, deep_t = [], []
    for depth in cfg["deep"]:
        rep.progress("claim 3 (paths)", f"reverse sweep only, depth={depth:,}")
        w = W.diamond(depth)
        deep_n.append(depth)
        deep_t.append(seconds(lambda: w.tape.gradient(w.x), cfg["budget"]))
    s = slope(deep_n, deep_t)
    rep.check(3, f"reverse time vs depth {deep_n[0]:,}..{deep_n[-1]:,}", s, "1 (linear)",
              0.8 <= s <= 1.2)
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
            t_c = seconds(lambda: w.recompile(), cfg["budget"])
            t_f = seconds(lambda: t(x), cfg["budget"])
            t_r = seconds(lambda: t.gradient(x), cfg["budget"])
            t_t = seconds(lambda: t.jvp(x, v), cfg["budget"])
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
            rep.check(4, f"{name}: {key} time vs nodes", s, "1", 0.85 <= s <= 1.15)
    rep.curves["claim4"] = curves


# ---- claim 5: memory is the price of reverse mode --------------------------------------------
def claim_memory(rep, cfg):
    rows, c = [], {k: [] for k in ("nodes", "forward", "reverse", "tangent")}
    for size in cfg["linear"]:
        rep.progress("claim 5 (memory)", f"chain ~{size:,} nodes")
        w = W.chain(size)
        t, x = w.tape, w.x
        n = t.n_nodes
        b = [work_bytes(lambda: t(x)), work_bytes(lambda: t.gradient(x)),
             work_bytes(lambda: t.jvp(x, [1.0]))]
        rows.append((n, *(v / n for v in b), b[1] / b[0], b[1] / b[2], sum(b) / 3 / 2**20))
        for k, val in zip(("nodes", "forward", "reverse", "tangent"), (n, *b)):
            c[k].append(val)
    rep.tables.append((
        "Claim 5: work memory per call (bytes per tape node, chain)",
        ["nodes", "forward B/node", "reverse B/node", "tangent B/node", "reverse/forward",
         "reverse/tangent", "mean MiB"], rows,
        "peak NumPy allocation during one tape(x), tape.gradient(x), tape.jvp(x, v) "
        "(tracemalloc). Reverse mode must keep every value (and here every partial) for "
        "the backward sweep; a forward-mode pass needs only what it carries forward."))
    for key in ("forward", "reverse", "tangent"):
        s = slope(c["nodes"][-3:], c[key][-3:])
        rep.check(5, f"{key} work memory vs nodes", s, "1", 0.9 <= s <= 1.1)
    last = rows[-1]
    rep.check(5, "reverse/tangent work memory (largest)", last[5], "> 1 (reverse stores more)",
              last[5] > 1.2)
    rep.curves["claim5"] = c


# ---- the core engine's targets: hand-written loop and CasADi ---------------------------------
@njit(cache=True, nogil=True)
def hand_chain(x, steps):
    """The chain h <- sin(h) * 0.999 + 1e-5 as a straight loop: no graph, no stored values."""
    h = x
    for _ in range(steps):
        h = np.sin(h) * 0.999 + 1e-5
    return h


@njit(cache=True, nogil=True)
def hand_chain_value_and_derivative(x, steps):
    """Value and dh/dx of the chain, by hand (a tangent carried along: one input)."""
    h, d = x, 1.0
    for _ in range(steps):
        d = d * np.cos(h) * 0.999
        h = np.sin(h) * 0.999 + 1e-5
    return h, d


def casadi_chain(steps):
    """CasADi SX Functions of the chain: value, value + gradient, and one JVP.

    The SX expression is built by repeated squaring of a one-step Function (calling an
    SX Function on SX inlines it), so building 10^6 ops costs seconds, not minutes.
    Returns three zero-argument callables using CasADi's buffer call (lowest overhead),
    or raises ImportError when casadi is not installed.
    """
    import casadi as ca
    x, v = ca.SX.sym("x"), ca.SX.sym("v")
    power = ca.Function("step", [x], [ca.sin(x) * 0.999 + 1e-5])
    expr, k = x, steps
    while k:
        if k & 1:
            expr = power(expr)
        k >>= 1
        if k:
            power = ca.Function("power", [x], [power(power(x))])
    fns = (ca.Function("f", [x], [expr]),
           ca.Function("g", [x], [expr, ca.gradient(expr, x)]),
           ca.Function("j", [x, v], [ca.jtimes(expr, x, v)]))
    a, one, out = np.array([0.5]), np.array([1.0]), np.zeros(2)
    calls = []
    for f in fns:
        buf, call = f.buffer()
        # Keep the Function and every memoryview alive as long as the buffer is used.
        views = [memoryview(a if i == 0 else one) for i in range(f.n_in())]
        views += [memoryview(out[i:i + 1]) for i in range(f.n_out())]
        for i in range(f.n_in()):
            buf.set_arg(i, views[i])
        for i in range(f.n_out()):
            buf.set_res(i, views[f.n_in() + i])
        calls.append((call, (buf, f, views)))
    return calls, out


def claim_targets(rep, cfg):
    n_ops = cfg["target"]
    rep.progress("targets", f"chain of {n_ops:,} op nodes: sg, hand-written Numba loop")
    w = W.chain(n_ops)
    t, x = w.tape, w.x
    steps, ops_ = w.info["steps"], w.tape.n_nodes - w.tape.n_inputs
    per = lambda s: s * 1e9 / ops_
    t_f = seconds(lambda: t(x), cfg["budget"])
    t_r = seconds(lambda: t.gradient(x), cfg["budget"])
    t_t = seconds(lambda: t.jvp(x, [1.0]), cfg["budget"])
    h_f = seconds(lambda: hand_chain(0.5, steps), cfg["budget"])
    h_g = seconds(lambda: hand_chain_value_and_derivative(0.5, steps), cfg["budget"])
    assert abs(hand_chain(0.5, steps) - t(x)[0]) <= 1e-12 * (1 + abs(t(x)[0]))
    rows = [("scalargraph tape", per(t_f), per(t_r), per(t_t), t_r / t_f),
            ("hand-written Numba loop", per(h_f), per(h_g), per(h_g), h_g / h_f)]
    cas = None
    try:
        rep.progress("targets", "CasADi SX (optional peer)")
        calls, out = casadi_chain(steps)
        c = [seconds(call, cfg["budget"]) for call, _ in calls]
        calls[0][0]()
        assert abs(out[0] - t(x)[0]) <= 1e-9 * (1 + abs(out[0]))
        rows.append(("CasADi SX (buffer call)", per(c[0]), per(c[1]), per(c[2]), c[1] / c[0]))
        cas = c
    except ImportError:
        note = "CasADi: not installed (pip install casadi to compare), skipped."
        rep.progress("targets", note)
    rep.tables.append((
        f"Core targets: chain h <- sin(h)*0.999 + 1e-5, {ops_:,} op nodes (ns per op node)",
        ["implementation", "forward", "value+gradient", "one JVP", "(v+g)/forward"], rows,
        "hand-written loop: value only / value and derivative carried together, nothing "
        "stored; CasADi: SX Function, gradient by ca.gradient, JVP by ca.jtimes."))
    rep.check("core", "forward / hand loop", t_f / h_f, "<= 2", t_f / h_f <= 2)
    rep.check("core", "reverse gradient / forward", t_r / t_f, "<= 3", t_r / t_f <= 3)
    if cas is not None:
        for label, mine, theirs in (("forward", t_f, cas[0]), ("value+gradient", t_r, cas[1]),
                                    ("JVP", t_t, cas[2])):
            rep.check("core", f"{label} / CasADi SX", mine / theirs, "< 1", mine < theirs)
    rep.curves["targets"] = rows


CLAIMS = {"1": claim_cheap_gradient, "2": claim_mirror, "3": claim_paths,
          "4": claim_linear, "5": claim_memory, "core": claim_targets}


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
    p = argparse.ArgumentParser(prog="python -m scalargraph.bench", description=__doc__.split("\n")[0])
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
    print(f"scalargraph cost report ({mode} sizes)", flush=True)
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
        from ._benchplots import plot_all
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
