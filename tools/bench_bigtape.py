"""Issue 18 / 17 measurements: plain calls beside bind() and the hand-written loop, the old
allocate-per-call plain call interleaved, record vs depth-first order, forward Jacobian per
direction. CPU-time clock (bench.interleaved), interleaved A B C ..., median per call.

python tools/bench_bigtape.py [table|chain7|order|jacobian|jacobian_quick|domke] [--big]
python tools/bench_bigtape.py peers [peer_table options]   # = python -m scalargraph.bench.peer_table
"""

import sys
import time

import numpy as np

import scalargraph as sg
from scalargraph import bench, order
from scalargraph.bench import workloads as W
from scalargraph.kernels import forward, sweeps


def old_vg(tape, x):
    """The plain call as it was: fresh work arrays every call (values, partials, adjoints)."""
    n = tape.n_nodes
    g = np.empty(tape.n_inputs)
    v = sweeps.value_and_gradient(tape.op, tape.arg0, tape.arg1, tape.consts, tape.outputs, 0,
                                  np.empty(n), np.empty((n, 2)), np.empty(n), x, g)
    return v, g


def table(big, only=None):
    cases = [("chain", 10**5), ("chain", 10**6), ("wide_sum", 25000), ("wide_sum", 250000 if big else 100000),
             ("toy_model", 10**4), ("random_dag", 10**5), ("random_dag", 10**6)]
    if big:
        cases.append(("chain", 10**7))
    if only:
        cases = [only]
    print("| workload | nodes | forward | v+g plain | v+g old (alloc/call) | gradient | bind | jvp "
          "| hand fwd | hand v+g | plain/bind | plain/fwd |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, size in cases:
        w = W.build(name, size)
        t, x = w.tape, w.x
        n = t.n_nodes
        f = t.bind()
        g = np.empty(t.n_inputs)
        v = np.ones(t.n_inputs)
        fns = [lambda: t(x), lambda: t.value_and_gradient(x), lambda: old_vg(t, x),
               lambda: t.gradient(x), lambda: f(x, g), lambda: t.jvp(x, v)]
        if name == "chain":
            steps = w.info["steps"]
            fns += [lambda: bench.hand_chain(0.5, steps),
                    lambda: bench.hand_chain_value_and_derivative(0.5, steps)]
        elif name == "wide_sum":
            gg = np.empty(t.n_inputs)
            fns += [lambda: bench.hand_wide_sum(x),
                    lambda: bench.hand_wide_sum_value_and_gradient(x, gg)]
        s = bench.interleaved(fns, 0.3 if n < 10**7 else 1.0)
        ns = [s.stat(i) * 1e9 / n for i in range(len(fns))]
        cells = [f"{v:.1f}" for v in ns[:6]] + ([f"{v:.1f}" for v in ns[6:]] or ["", ""])
        print(f"| {name}({size}) | {n:,} | " + " | ".join(cells)
              + f" | {ns[1] / ns[4]:.2f} | {ns[1] / ns[0]:.2f} |", flush=True)
        del w, t, f, fns


def order_table():
    print("| workload | nodes | order | mean distance | max live | forward ns/node | v+g ns/node | jvp ns/node | hand fwd |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, size in [("wide_sum", 25000), ("wide_sum", 250000), ("fan_out", 10000),
                       ("chain", 10**6), ("random_dag", 10**6), ("toy_model", 10**4)]:
        w = W.build(name, size)
        rec = sg.compile(w.inputs, w.outputs, order="record")
        dfs = sg.compile(w.inputs, w.outputs, order="depth_first")
        x = w.x
        v = np.ones(rec.n_inputs)
        fns = [lambda: rec(x), lambda: dfs(x), lambda: rec.value_and_gradient(x, output=0),
               lambda: dfs.value_and_gradient(x, output=0), lambda: rec.jvp(x, v),
               lambda: dfs.jvp(x, v)]
        if name == "wide_sum":
            fns.append(lambda: bench.hand_wide_sum(x))
        s = bench.interleaved(fns, 0.3)
        n = rec.n_nodes
        ns = [s.stat(i) * 1e9 / n for i in range(len(fns))]
        for k, (label, t) in enumerate((("record", rec), ("depth-first", dfs))):
            loc = order.locality(t)
            hand = f"{ns[6]:.1f}" if len(ns) > 6 else ""
            print(f"| {name}({size}) | {n:,} | {label} | {loc['mean_distance']:.1f} | "
                  f"{loc['max_live']:,} | {ns[k]:.1f} | {ns[2 + k]:.1f} | {ns[4 + k]:.1f} | {hand} |",
                  flush=True)


def old_jacobian_forward(tape, x):
    """The forward Jacobian as it was: every node holds a row, blocks capped at 8 MiB."""
    n, nn = tape.n_inputs, tape.n_nodes
    values, partials = np.empty(nn), np.empty((nn, 2))
    forward.forward_partials(tape.op, tape.arg0, tape.arg1, tape.consts, x, values, partials)
    jac = np.zeros((tape.n_outputs, n))
    block = int(max(1, min(64, n, (1 << 20) // max(nn, 1))))
    for start in range(0, n, block):
        k = min(block, n - start)
        t = np.zeros((nn, k))
        t[start + np.arange(k), np.arange(k)] = 1.0
        sweeps.forward_tangents_block(n, tape.arg0, tape.arg1, partials, t)
        jac[:, start:start + k] = t[tape.outputs]
    return jac


def jacobian(big):
    print("| wide_sum n | nodes | old ns per direction-node (record order) | new, record order | new, depth-first | new/old |")
    print("|---|---|---|---|---|---|")
    xs_, old_, new_, dfs_ = [], [], [], []
    for size in [1000, 3000, 10000, 30000] + ([100000] if big else []):
        w = W.build("wide_sum", size)
        rec = sg.compile(w.inputs, w.outputs, order="record")
        dfs = sg.compile(w.inputs, w.outputs, order="depth_first")
        x = w.x
        assert rec.jacobian(x, mode="forward").tobytes() == old_jacobian_forward(rec, x).tobytes()
        assert dfs.jacobian(x, mode="forward").tobytes() == old_jacobian_forward(rec, x).tobytes()
        fns = [lambda: old_jacobian_forward(rec, x), lambda: rec.jacobian(x, mode="forward"),
               lambda: dfs.jacobian(x, mode="forward")]
        s = bench.interleaved(fns, 0.5, min_rounds=3 if size >= 30000 else 9)
        per = [s.stat(i) * 1e9 / (size * rec.n_nodes) for i in range(3)]
        xs_.append(size), old_.append(s.stat(0)), new_.append(s.stat(1)), dfs_.append(s.stat(2))
        print(f"| {size:,} | {rec.n_nodes:,} | {per[0]:.3f} | {per[1]:.3f} | {per[2]:.3f} | "
              f"{per[1] / per[0]:.2f} |", flush=True)
    # slope of log(total time / forward-pass nodes) against log n: 1 = flat per direction
    lx = np.log(xs_)
    for label, ts in (("old", old_), ("new record", new_), ("new depth-first", dfs_)):
        ly = np.log(np.array(ts) / (4 * np.array(xs_)))
        print(f"slope of (time / nodes) against n, {label}: {np.polyfit(lx, ly, 1)[0]:.2f}")


def jacobian_quick():
    """Forward Jacobian, old vs new, min of a few calls (one at 10^5 inputs: ~3 min)."""
    res = {}
    for size in (1000, 10000, 100000):
        w = W.build("wide_sum", size)
        t, x = w.tape, w.x
        best = {"new": 1e9, "old": 1e9}
        for _ in range(1 if size == 100000 else 5):
            for k, fn in (("new", lambda: t.jacobian(x, mode="forward")),
                          ("old", lambda: old_jacobian_forward(t, x))):
                t0 = time.process_time()
                fn()
                best[k] = min(best[k], time.process_time() - t0)
        res[size] = best
        print(f"| {size:,} | {t.n_nodes:,} | {best['old'] * 1e9 / (size * t.n_nodes):.3f} | "
              f"{best['new'] * 1e9 / (size * t.n_nodes):.3f} | {best['old']:.3f} s | "
              f"{best['new']:.3f} s |", flush=True)
    ns = np.array(sorted(res))
    for k in ("old", "new"):
        ts = np.array([res[n][k] for n in ns]) / (4 * ns)
        print(f"slope of (time / nodes) against n, {k}: "
              f"{np.polyfit(np.log(ns), np.log(ts), 1)[0]:.2f}")


def domke():
    w = W.build("domke", 1)
    t, x = w.tape, w.x
    f = t.bind()
    g = np.empty(1)
    args = f.args
    kern = sweeps.value_and_gradient
    def old_plain(x):  # the plain call as it was: its checks, fresh arrays, 11-array kernel
        if not (type(x) is np.ndarray and x.ndim == 1):
            raise AssertionError
        return old_vg(t, t._point(x)) if t._output(None) == 0 else None

    fns = [lambda: t.value_and_gradient(x), lambda: old_plain(x), lambda: f(x, g),
           lambda: kern(*args, x, g), lambda: t.gradient(x)]
    for _ in range(3):
        s = bench.interleaved(fns, 0.3)
        print("Domke us per call: plain v+g %.3f | old plain v+g (emulated) %.3f | bind %.3f"
              " | 11-array kernel from Python %.3f | plain gradient %.3f" %
              tuple(s.stat(i) * 1e6 for i in range(len(fns))), flush=True)


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "table"
    if what == "peers":  # the issue-18 table with CasADi: scalargraph/bench/peer_table.py
        from scalargraph.bench import peer_table
        peer_table.main(sys.argv[2:])
        sys.exit(0)
    big = "--big" in sys.argv
    {"table": lambda: table(big), "chain7": lambda: table(True, ("chain", 10**7)),
     "order": order_table, "jacobian": lambda: jacobian(big),
     "jacobian_quick": jacobian_quick,
     "domke": domke}[what]()
