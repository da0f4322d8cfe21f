"""PNG plots of the cost report (``python -m scalargraph.bench``); matplotlib is optional."""

import numpy as np


def plot_all(curves, out):
    """Write one PNG per measured claim and a summary figure into ``out``.

    Returns the list of paths written, or [] when matplotlib is not installed.
    """
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    panels = [(key, fn) for key, fn in _PANELS if key in curves]
    written = []
    for key, fn in panels:
        fig, ax = plt.subplots(figsize=(5.2, 3.8), dpi=90)
        fn(ax, curves[key])
        fig.tight_layout()
        path = out / f"{key}.png"
        fig.savefig(path)
        plt.close(fig)
        written.append(path)
    if panels and summary(curves, out / "summary.png"):
        written.append(out / "summary.png")
    return written


def summary(curves, path):
    """Write the one-figure summary of every measured claim to ``path``; False without
    matplotlib or curves."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    panels = [(key, fn) for key, fn in _PANELS if key in curves]
    if panels:
        cols = min(3, len(panels))
        rows = -(-len(panels) // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(4.3 * cols, 3.3 * rows), dpi=72,
                                 squeeze=False)
        for ax, (key, fn) in zip(axes.flat, panels):
            fn(ax, curves[key])
        for ax in list(axes.flat)[len(panels):]:
            ax.axis("off")
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)
    return bool(panels)


def _claim1(ax, c):
    n = c["n"]
    ax.loglog(n, c["rev"], "o-", label="reverse gradient")
    ax.loglog(c["n_fwdm"], c["fwdm"], "s-", label="forward-mode gradient")
    ax.loglog(c["n_fd"], c["fd"], "^-", label="finite differences")
    ax.set(xlabel="inputs n", ylabel="time / forward evaluation",
           title="1. Gradient cost, f: R^n -> R")
    ax.legend(fontsize=7)


def _claim2(ax, c):
    for name, label in (("fan_out", "R -> R^m"), ("wide_sum", "R^n -> R")):
        d = c[name]
        ax.loglog(d["size"], np.divide(d["rev"], d["fwd"]), "o-",
                  label=f"{label}: reverse / forward")
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set(xlabel="m outputs / n inputs", ylabel="Jacobian time, reverse / forward",
           title="2. The mirror image")
    ax.legend(fontsize=7)


def _claim3(ax, c):
    ax.semilogy(c["depth"], c["paths"], "o-", label="sum over paths")
    ax.semilogy(c["depth"], c["reverse"], "s-", label="reverse sweep")
    ax.set(xlabel="diamonds (paths = 2^depth)", ylabel="seconds",
           title="3. Paths vs dynamic programming")
    ax.legend(fontsize=7)


def _claim4(ax, c):
    # colour = workload, line style = sweep
    styles = {"forward": "-", "reverse": "--", "tangent": ":", "compile": "-."}
    for k, (name, d) in enumerate(c.items()):
        for key, ls in styles.items():
            ax.loglog(d["nodes"], d[key], ls, color=f"C{k}", marker="o", ms=3,
                      label=f"{name} {key}")
    ax.set(xlabel="tape nodes", ylabel="ns per node", title="4. Linear in the graph")
    ax.legend(fontsize=5, ncol=3)


def _claim5(ax, c):
    for key, style in (("forward", "o-"), ("reverse", "s--"), ("tangent", "^:")):
        ax.loglog(c["nodes"], c[key], style, label=key, ms=5 if key == "reverse" else 4)
    ax.set(xlabel="tape nodes", ylabel="peak work bytes", title="5. Memory per call")
    ax.legend(fontsize=7)


def _claim6(ax, c):
    # colour = workload; solid: dense / sparse (grows like the unknowns, left axis), dashed:
    # the sparse Jacobian's time per tape node (flat once the call's fixed cost is paid)
    right = ax.twinx()
    for k, (name, d) in enumerate(c.items()):
        ax.loglog(d["dense_n"], d["ratio"], "o-", color=f"C{k}", label=f"{name}: dense / sparse")
        right.loglog(d["unknowns"], np.multiply(d["per_node"], 1e9), "s--", color=f"C{k}",
                     ms=3, label=f"{name}: sparse, ns per node")
    ax.set(xlabel="unknowns", ylabel="dense / sparse time", title="6. Sparse Jacobians")
    right.set_ylabel("sparse Jacobian: ns per tape node")
    lines = ax.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize=6, loc="center right")


def _targets(ax, rows):
    labels = ["forward", "value+gradient", "one JVP"]
    width = 0.8 / len(rows)
    for k, row in enumerate(rows):
        ax.bar(np.arange(3) + k * width, row[1:4], width, label=row[0])
    ax.set_xticks(np.arange(3) + 0.4 - width / 2, labels)
    ax.set(ylabel="ns per op node", title="Core targets: the chain, vs peers")
    ax.legend(fontsize=7)


_PANELS = (("claim1", _claim1), ("claim2", _claim2), ("claim3", _claim3),
           ("claim4", _claim4), ("claim5", _claim5), ("claim6", _claim6),
           ("targets", _targets))
