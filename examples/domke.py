"""The Domke graph of Prince, problems 7.12 and 7.13: reverse and forward mode, step by step.

    y = exp[exp[x] + exp[x]^2] + sin[exp[x] + exp[x]^2]                       (eq. 7.42)

    f1 = exp[x], f2 = f1^2, f3 = f1 + f2, f4 = exp[f3], f5 = sin[f3], y = f4 + f5   (eq. 7.43)

Prints the forward values f1 ... y, the reverse-mode list dy/df5 ... dy/dx (problem 7.12) and
the forward-mode list df1/dx ... dy/dx (problem 7.13), each from the tape next to the chain
rule worked by hand with Python's math module; the closed form; the time of each mode. It
writes ``domke_explorer.html``, a page that steps through both lists node by node. Then it
answers problem 7.13's question, "why do we not use forward-mode differentiation when we
calculate the parameter gradients for deep networks?", with a measurement: for n inputs and
one output, reverse mode needs one sweep and forward mode n.

Run: python examples/domke.py [--quick] [--out DIR] [--no-plot]
"""

import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scalargraph as sg  # noqa: E402
from _common import parse_args, draw, fmt_time, node_array, out_path  # noqa: E402
from scalargraph.bench.timing import interleaved  # noqa: E402

X = 1.0  # the point of the printed tables


def build():
    """The graph of eq. 7.43; returns (tape, x, [f1, f2, f3, f4, f5, y])."""
    with sg.Graph():
        x = sg.var("x")
        f1 = sg.exp(x)
        f2 = f1 ** 2
        f3 = f1 + f2
        f4 = sg.exp(f3)
        f5 = sg.sin(f3)
        y = f4 + f5
        return sg.compile([x], [y]), x, [f1, f2, f3, f4, f5, y]


def by_hand(x):
    """Problems 7.12 and 7.13 worked with the math module, as the textbook's chain rule says."""
    f1 = math.exp(x)
    f2 = f1 ** 2
    f3 = f1 + f2
    f4 = math.exp(f3)
    f5 = math.sin(f3)
    y = f4 + f5
    # Reverse (7.12): each derivative from the ones already computed, output to input.
    dy_df5 = 1.0
    dy_df4 = 1.0
    dy_df3 = dy_df4 * math.exp(f3) + dy_df5 * math.cos(f3)
    dy_df2 = dy_df3 * 1.0
    dy_df1 = dy_df3 * 1.0 + dy_df2 * 2.0 * f1  # f1 feeds f3 directly and through f2
    dy_dx = dy_df1 * math.exp(x)
    # Forward (7.13): each derivative from the ones already computed, input to output.
    df1 = math.exp(x)
    df2 = 2.0 * f1 * df1
    df3 = df1 + df2
    df4 = math.exp(f3) * df3
    df5 = math.cos(f3) * df3
    dy = df4 + df5
    return ([f1, f2, f3, f4, f5, y], [dy_df5, dy_df4, dy_df3, dy_df2, dy_df1, dy_dx],
            [df1, df2, df3, df4, df5, dy])


def closed_form(x):
    """dy/dx = (exp[f3] + cos[f3]) (1 + 2 e^x) e^x, with f3 = e^x + e^2x."""
    f3 = math.exp(x) + math.exp(2 * x)
    return (math.exp(f3) + math.cos(f3)) * (1 + 2 * math.exp(x)) * math.exp(x)


def wide(n):
    """A graph with n inputs and one output, f = sum_i sin(x_i x_{i+1}) (3 nodes per input)."""
    with sg.Graph():
        xs = node_array([sg.var(f"x{i}") for i in range(n)])
        y = np.sum(sg.sin(xs[:-1] * xs[1:]))
        return sg.compile(list(xs), [y])


def same_cost_sentence(ratio):
    """Problem 7.13's one-input, one-output timing in words, worded from the measured interval
    of jvp time / gradient time (an Estimate), so the sentence cannot contradict the numbers."""
    where = f"jvp / gradient = {ratio.value:.2f} (95% interval {ratio.lo:.2f}-{ratio.hi:.2f})"
    if 1 / SAME <= ratio.lo and ratio.hi <= SAME:
        return (f"  one input and one output: both modes need one sweep, and they cost about "
                f"the same: {where}")
    if ratio.hi < 1 / SAME or ratio.lo > SAME:
        cheaper = "forward mode (jvp)" if ratio.hi < 1 else "reverse mode (gradient)"
        return (f"  one input and one output: both modes need one sweep, yet {cheaper} is "
                f"faster here, {where}: on 6 nodes the fixed cost of a call (checking x, "
                "allocating results), not the sweep, sets the time")
    return (f"  one input and one output: both modes need one sweep; {where} is too noisy "
            f"to say whether they cost the same within {SAME}x (a busy machine?)")


SAME = 1.5   # "about the same": within this factor


def many_inputs(sizes, budget):
    """Time of the full gradient by one reverse sweep and by forward mode, for n inputs,
    the three ways timed interleaved."""
    rows = []
    rng = np.random.default_rng(0)
    for n in sizes:
        tape = wide(n)
        x = rng.standard_normal(n)
        eye = np.eye(n)
        s = interleaved([lambda: tape.gradient(x), lambda: tape.jacobian(x, mode="forward"),
                         lambda: [tape.jvp(x, eye[i]) for i in range(n)]], budget)
        rev, fwd_block, fwd_loop = s.stat()
        g_rev = tape.gradient(x)
        g_fwd = tape.jacobian(x, mode="forward")[0]
        g_loop = np.array([tape.jvp(x, eye[i])[0] for i in range(n)])
        agree = max(np.max(np.abs(g_fwd - g_rev)), np.max(np.abs(g_loop - g_rev)))
        rows.append(dict(n=n, nodes=tape.n_nodes, reverse=rev, forward=fwd_block,
                         forward_jvp=fwd_loop, agree=float(agree)))
    return rows


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    tape, x_node, nodes = build()
    names = ["f1", "f2", "f3", "f4", "f5", "y"]
    rules = ["exp[x]", "f1^2", "f1 + f2", "exp[f3]", "sin[f3]", "f4 + f5"]
    values = tape.values([X])
    adjoints = tape.adjoints([X])
    tangents = tape.tangents([X], [1.0])
    at = [tape.index(n) for n in nodes]
    hand_values, hand_reverse, hand_forward = by_hand(X)

    print("Domke graph, Prince problems 7.12-7.13: y = exp[exp[x] + exp[x]^2] + sin[exp[x] + exp[x]^2]")
    print(f"at x = {X}; tape columns from scalargraph, 'by hand' from the chain rule with the math module\n")
    print(f"Forward pass (eq. 7.43)          {'tape.values':>22} {'by hand':>22}")
    for name, rule, i, h in zip(names, rules, at, hand_values):
        print(f"  {name:2} = {rule:24} {values[i]:22.15g} {h:22.15g}")

    print("\nReverse mode, problem 7.12: tape.adjoints (one reverse sweep, output to input)")
    rev_rules = ["1", "1", "dy/df4 exp[f3] + dy/df5 cos[f3]", "dy/df3",
                 "dy/df3 + dy/df2 2 f1", "dy/df1 exp[x]"]
    reverse = []
    for k, name in enumerate(["f5", "f4", "f3", "f2", "f1", "x"]):
        i = tape.index(x_node) if name == "x" else at[names.index(name)]
        reverse.append(float(adjoints[i]))
        print(f"  dy/d{name:2} = {rev_rules[k]:32} {adjoints[i]:22.15g} {hand_reverse[k]:22.15g}")

    print("\nForward mode, problem 7.13: tape.tangents (one forward sweep, input to output)")
    fwd_rules = ["exp[x]", "2 f1 df1/dx", "df1/dx + df2/dx", "exp[f3] df3/dx",
                 "cos[f3] df3/dx", "df4/dx + df5/dx"]
    forward = []
    for k, name in enumerate(names):
        forward.append(float(tangents[at[k]]))
        print(f"  {'d' + name + '/dx':6} = {fwd_rules[k]:32} {tangents[at[k]]:22.15g} "
              f"{hand_forward[k]:22.15g}")

    exact = closed_form(X)
    print(f"\nClosed form dy/dx = (exp[f3] + cos[f3]) (1 + 2 e^x) e^x = {exact:.15g}")
    print(f"  reverse mode {reverse[-1]:.15g} (relative difference {abs(reverse[-1] / exact - 1):.1e}), "
          f"forward mode {forward[-1]:.15g} ({abs(forward[-1] / exact - 1):.1e})")

    budget = 0.01 if args.quick else 0.1
    s = interleaved([lambda: tape([X]), lambda: tape.gradient([X]),
                     lambda: tape.jvp([X], [1.0])], budget, min_rounds=15 if args.quick else 25)
    t_val, t_rev, t_fwd = s.stat()
    ratio = s.ratio(2, 1)
    print(f"\nTime per call (CPU time; the three timed interleaved, 20th percentile of "
          f"{len(s.times)} repeats): value {fmt_time(t_val)}, reverse mode (tape.gradient) {fmt_time(t_rev)}, "
          f"forward mode (tape.jvp) {fmt_time(t_fwd)}")
    print(same_cost_sentence(ratio))

    sizes = (10, 100) if args.quick else (10, 100, 1000)
    print("\nWhy not forward mode for the parameter gradients of deep networks (problem 7.13)?")
    print("Many inputs, one output: f = sum_i sin(x_i x_(i+1)) with n inputs; the full gradient")
    print("costs one reverse sweep, but one forward sweep per input (n sweeps). tape.jacobian")
    print("carries up to 64 input directions per sweep (a row of 64 tangents per node, in vector")
    print("registers), so its ratio grows like n / 64 times a 64-wide sweep; n separate jvp calls")
    print("make the n sweeps one call each:")
    print(f"  {'n':>6} {'nodes':>7} {'reverse':>10} {'forward (jacobian)':>19} {'ratio':>7} "
          f"{'n x jvp':>10} {'ratio':>7}")
    rows = many_inputs(sizes, budget)
    for r in rows:
        print(f"  {r['n']:6d} {r['nodes']:7d} {fmt_time(r['reverse']):>10} "
              f"{fmt_time(r['forward']):>19} {r['forward'] / r['reverse']:6.0f}x "
              f"{fmt_time(r['forward_jvp']):>10} {r['forward_jvp'] / r['reverse']:6.0f}x")
    last = rows[-1]
    print(f"  -> at n = {last['n']} reverse mode is {last['forward'] / last['reverse']:.0f}x faster "
          f"than blocked forward mode and {last['forward_jvp'] / last['reverse']:.0f}x faster than "
          f"{last['n']} separate jvp calls; both give the same gradient "
          f"(max difference {max(r['agree'] for r in rows):.1e}).")
    print("  A network's loss has millions of inputs (parameters) and one output: reverse mode.")

    page = None
    if args.plot:
        labels = dict(zip(nodes, names))
        page = sg.explore(tape, [X], out_path(args, "domke_explorer.html"), labels=labels,
                          points=[[0.0], [0.5]], title="Domke graph, Prince problems 7.12-7.13")
        print(f"\nexplorer page written: {page} (reverse pass = problem 7.12, forward mode = 7.13)")
        draw(tape, args, "domke_graph.png", [X], partials=True, labels=labels,
             title="Domke graph (Prince fig. 7.9) at x = 1")
    return dict(values=[float(values[i]) for i in at], reverse=reverse, forward=forward,
                hand_values=hand_values, hand_reverse=hand_reverse, hand_forward=hand_forward,
                closed_form=exact, page=page, time_reverse=t_rev, time_forward=t_fwd,
                jvp_over_gradient=ratio, many_inputs=rows)


if __name__ == "__main__":
    main()
