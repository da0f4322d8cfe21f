"""Claims 1-3 of the cost report: cheap gradients, the mirror image, paths vs dynamic programming.

Every ratio is timed interleaved in one :func:`~scalargraph.bench.timing.interleaved` call
and every slope is fitted over at least four sizes with a bootstrap interval; see
:mod:`scalargraph.bench.timing` and :mod:`scalargraph.bench.checks`. Only the public API is
used (``sg.*`` and Tape methods), so the report measures whatever the kernels are today.
"""

import math

import numpy as np

from . import workloads as W
from .checks import DIFFERS, INCONCLUSIVE, MATCHES, combine, judge
from .timing import Estimate, interleaved, slope_estimate
from ..paths import count_paths, path_gradient

EPS = np.finfo(np.float64).eps
TIE = 2.0   # modes within this factor of each other tie: either choice of auto is right


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


def _ratio(i, j):
    return lambda q: q[i] / q[j]


def _last(xs, measured, k):
    """The last ``k`` sizes (at least four are needed for a slope)."""
    return xs[-k:], measured[-k:]


# ---- claim 1: reverse mode is cheap ----------------------------------------------------------
def claim_cheap_gradient(rep, cfg):
    rows, ns, rev, fm_n, fm, fd_n, fd, digits = [], [], [], [], [], [], [], []
    for n in cfg["wide"]:
        rep.progress("claim 1 (cheap gradient)", f"wide_sum n={n:,}")
        w = W.wide_sum(n)
        t, x = w.tape, w.x
        fns = [lambda: t(x), lambda: t.gradient(x)]
        with_fm, with_fd = n <= cfg["fm_max"], n <= cfg["fd_max"]
        if with_fm:
            fns.append(lambda: t.jacobian(x, mode="forward"))
        if with_fd:
            fns.append(lambda: forward_differences(t, x))
        s = interleaved(fns, cfg["budget"])
        ns.append(n), rev.append((s, _ratio(1, 0)))
        r_fm = r_fd = dig = None
        if with_fm:
            fm_n.append(n), fm.append((s, _ratio(2, 0)))
            r_fm = s.stat(2) / s.stat(0)
        if with_fd:
            exact = t.gradient(x)
            err = np.max(np.abs(forward_differences(t, x) - exact)) / np.max(np.abs(exact))
            dig = -math.log10(max(err, 1e-17))
            fd_n.append(n), fd.append((s, _ratio(len(fns) - 1, 0))), digits.append(dig)
            r_fd = s.stat(len(fns) - 1) / s.stat(0)
        rows.append((n, w.n_nodes, s.stat(0) * 1e6, s.stat(1) / s.stat(0), r_fm, r_fd, dig,
                     100 * s.spread(0)))
        del w, t
    rep.tables.append((
        "Claim 1: reverse mode is cheap (f = sum sin(x_i x_{i+1}), R^n -> R)",
        ["n inputs", "nodes", "forward us", "reverse/fwd", "fwd-mode grad/fwd",
         "fin.diff/fwd", "fin.diff digits", "spread %"], rows,
        "reverse = tape.gradient (one reverse sweep); fwd-mode grad = "
        "tape.jacobian(mode='forward') (n tangent directions); fin.diff = n + 1 "
        "evaluations, one-sided, step sqrt(eps); digits = -log10(max error / max |grad|), "
        "float64 has 15.9. Each row's calls are timed interleaved; spread = 75th/25th "
        "percentile of the forward call's repeats."))
    big = [i for i, n in enumerate(ns) if n >= cfg["rev_from"]]
    est = slope_estimate([ns[i] for i in big], [rev[i] for i in big])
    rep.slope(1, f"reverse/forward vs n ({ns[big[0]]:,}..{ns[-1]:,})", est, "0 (flat)", 0.0)
    per_size = [judge(m[0].ratio(1, 0), hi=5)[0] for m in rev]
    worst = max(rev, key=lambda m: m[1](m[0].stat()))
    rep.tally(1, "reverse/forward at every n (largest shown)", worst[0].ratio(1, 0), "<= 5",
              combine(per_size), "" if combine(per_size) == MATCHES else
              f"{per_size.count(DIFFERS)} sizes differ, {per_size.count(INCONCLUSIVE)} "
              "inconclusive")
    k = cfg["slope_sizes"]
    xs, ms = _last(fm_n, fm, k)
    rep.slope(1, f"fwd-mode gradient/forward vs n, operations ({xs[0]:,}..{xs[-1]:,})",
              slope_estimate(xs, list(xs)), "1", 1.0,
              why="n tangent directions over the same nodes: the claim is about this count")
    rep.slope(1, f"fwd-mode gradient/forward vs n, time ({xs[0]:,}..{xs[-1]:,})",
              slope_estimate(xs, ms), "~1 (grows like n)", 1.0, tol=cfg["cache_tol"],
              why=cfg["cache_note"])
    xs, ms = _last(fd_n, fd, k)
    rep.slope(1, f"finite differences/forward vs n ({xs[0]:,}..{xs[-1]:,})",
              slope_estimate(xs, ms), "1", 1.0)
    rep.bound(1, "finite-difference digits (min)", Estimate.exact(min(digits)),
              "~8 (half of 15.9)", 5, 11)
    rep.curves["claim1"] = dict(n=ns, rev=[m[1](m[0].stat()) for m in rev],
                                n_fwdm=fm_n, fwdm=[m[1](m[0].stat()) for m in fm],
                                n_fd=fd_n, fd=[m[1](m[0].stat()) for m in fd])


# ---- claim 2: the mirror image ---------------------------------------------------------------
def _auto_verdict(s, n, m):
    """Did jacobian(mode='auto') (call 2) run as fast as the cheaper of forward (0) and
    reverse (1)? Returns (verdict, cheaper, auto/cheaper Estimate)."""
    if n == 1 and m == 1:
        return MATCHES, "tie by construction (n = m = 1: one sweep either way)", None
    modes = s.ratio(1, 0)                      # reverse / forward
    j = 0 if modes.value >= 1 else 1           # the cheaper mode, by the point estimate
    auto = s.ratio(2, j)
    if 1 / TIE <= modes.lo and modes.hi <= TIE:
        return MATCHES, "tie (within 2x)", auto
    if modes.lo < 1 / TIE < modes.hi or modes.lo < TIE < modes.hi:
        cheaper = "forward?" if j == 0 else "reverse?"
        return (MATCHES if auto.hi <= 1.25 else INCONCLUSIVE), cheaper, auto
    cheaper = "forward" if j == 0 else "reverse"
    other = s.ratio(2, 1 - j)                  # auto / the dearer mode
    if auto.hi <= 1.25 or auto.hi < other.lo:
        return MATCHES, cheaper, auto
    if auto.lo > 1.25 and other.hi <= 1.25:
        return DIFFERS, cheaper, auto
    return INCONCLUSIVE, cheaper, auto


def claim_mirror(rep, cfg):
    rows, curves, per_size = [], {}, []
    for name, label, sizes in (("fan_out", "R -> R^m", cfg["fan"]),
                               ("wide_sum", "R^n -> R", cfg["mirror_wide"])):
        got, measured = [], []
        for size in sizes:
            rep.progress("claim 2 (mirror image)", f"{name} size={size:,}")
            w = W.build(name, size)
            t, x = w.tape, w.x
            s = interleaved([lambda mode=mode: t.jacobian(x, mode=mode)
                             for mode in ("forward", "reverse", "auto")], cfg["budget"])
            verdict, cheaper, auto = _auto_verdict(s, t.n_inputs, t.n_outputs)
            per_size.append(verdict)
            rows.append((label, t.n_inputs, t.n_outputs, s.stat(0) * 1e6,
                         s.stat(1) / s.stat(0), auto if auto is not None else "-", cheaper,
                         verdict))
            got.append(size)
            # fan_out: reverse / forward grows like m; wide_sum: forward / reverse like n
            measured.append((s, _ratio(1, 0) if name == "fan_out" else _ratio(0, 1)))
            del w, t
        curves[name] = dict(size=got, fwd=[m[0].stat(0) for m in measured],
                            rev=[m[0].stat(1) for m in measured])
        k = cfg["slope_sizes"]
        xs, ms = _last(got, measured, k)
        what = "reverse/forward vs m" if name == "fan_out" else "forward/reverse vs n"
        rep.slope(2, f"{label}: {what}, operations ({xs[0]:,}..{xs[-1]:,})",
                  slope_estimate(xs, list(xs)), "1", 1.0,
                  why="one sweep per output (reverse) or input (forward): the claim's count")
        rep.slope(2, f"{label}: {what}, time ({xs[0]:,}..{xs[-1]:,})",
                  slope_estimate(xs, ms),
                  "~1 (grows like n)" if name == "wide_sum" else "1 (time follows operations)", 1.0,
                  tol=cfg["cache_tol"] if name == "wide_sum" else 0.2,
                  why=cfg["cache_note"] if name == "wide_sum" else "")
    rep.tables.append((
        "Claim 2: the mirror image (Jacobian by forward vs reverse mode)",
        ["f", "n", "m", "forward-mode us", "reverse/forward", "auto/cheaper", "cheaper",
         "auto verdict"], rows,
        "f: R -> R^m is y_k = sin(c_k h(x)) c_k; f: R^n -> R is the wide sum. The three "
        "modes are timed interleaved; cheaper: 'tie' where the modes are within 2x (either "
        "choice is right), '?' where the interval crosses 2x. auto/cheaper with its 95% "
        "interval; auto matches when it is at most 1.25x the cheaper mode."))
    n_bad = sum(v != MATCHES for v in per_size)
    rep.tally(2, "jacobian(mode='auto') as fast as the cheaper mode",
              f"{len(per_size) - n_bad} of {len(per_size)} sizes", "every size",
              combine(per_size), "" if not n_bad else
              f"{per_size.count(DIFFERS)} differ, {per_size.count(INCONCLUSIVE)} inconclusive")
    rep.curves["claim2"] = curves


# ---- claim 3: dynamic programming beats path enumeration -------------------------------------
def claim_paths(rep, cfg):
    rows, ds, tp, tr, fit = [], [], [], [], []
    for depth in cfg["depths"]:
        rep.progress("claim 3 (paths)", f"diamond depth={depth}")
        w = W.diamond(depth)
        t, x = w.tape, w.x
        n_paths = count_paths(t)
        s = interleaved([lambda: path_gradient(t, x), lambda: t.gradient(x)], cfg["budget"])
        g, gp = t.gradient(x), path_gradient(t, x)
        agree = float(np.max(np.abs(gp - g) / np.maximum(np.abs(g), 1e-300)))
        t_p, t_r = s.stat()
        rows.append((depth, w.n_nodes, n_paths, t_p * 1e6, t_r * 1e6, t_p / t_r, agree))
        ds.append(depth), tp.append(t_p), tr.append(t_r)
        if t_p > 1e-4:   # below 100 us the call overhead, not the paths, sets the time
            fit.append((depth, (s, lambda q: q[0])))
        if t_p > cfg["path_stop"]:
            break
    rep.tables.append((
        "Claim 3: dynamic programming vs the sum over paths (ladder of diamonds)",
        ["depth", "nodes", "paths", "path-sum us", "reverse us", "path-sum/reverse",
         "rel. difference"], rows,
        "path-sum = sg.path_gradient (DL book 6.5.6, compiled walk over every path); "
        "reverse = tape.gradient; paths = sg.count_paths (exact, dynamic programming)."))
    est = slope_estimate([d for d, _ in fit], [m for _, m in fit], log_x=False)
    rep.slope(3, "log2(path-sum time) per diamond", est, "1 (doubles per level)", 1.0,
              why=f"fitted over the {len(fit)} of {len(ds)} depths whose path sum took over "
                  "100 us (below, the call's overhead sets the time)")
    rep.progress("claim 3 (paths)", f"reverse sweep only, depth {cfg['deep'][0]:,}.."
                 f"{cfg['deep'][-1]:,}, all depths interleaved")
    deep = [W.diamond(d) for d in cfg["deep"]]
    s = interleaved([lambda w=w: w.tape.gradient(w.x) for w in deep], cfg["budget"])
    est = slope_estimate(cfg["deep"], [(s, lambda q, j=j: q[j]) for j in range(len(deep))])
    rep.slope(3, f"reverse time vs depth {cfg['deep'][0]:,}..{cfg['deep'][-1]:,}", est,
              "1 (linear)", 1.0)
    rep.curves["claim3"] = dict(depth=ds, paths=tp, reverse=tr, deep=list(cfg["deep"]),
                                deep_t=list(s.stat()))
