"""See backpropagation happen: one self-contained HTML page that steps through a tape's sweeps.

``explore(tape, x)`` writes a page (no network, everything inline) on which a learner steps
the forward pass (values), the reverse pass from a chosen output (adjoints; each edge shows
local partial × child adjoint, each node the sum of what reached it) and forward mode along
a chosen input (tangents), and clicks a node for its expression in the user's terms.

Numbers on the page come from the tape: the values and local partials of each precomputed
point are the tape's own (``Tape.linearize``); the page's reverse and forward sweeps repeat
the Numba sweeps' additions in the same order, so they show the tape's ``adjoints`` and
``tangents`` bit for bit. A point typed into the page is evaluated by JavaScript made from the
op table at write time (``_jsops``), equal to the tape where the browser's ``Math`` agrees
with libm. Above ``GROUP_ABOVE`` nodes the page opens on an overview of groups of
consecutive depths, and a group opens to its nodes.
"""

import json
import os
import re

import numpy as np

from . import ops, _jsops, _labels, _layout
from ._explore_page import PAGE

#: Above this many nodes the page shows groups of nodes first.
GROUP_ABOVE = 300
#: Largest tape written (the page holds ~100 B per node, + ~60 B per node and extra point).
MAX_NODES = 200_000
_SPECIAL = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def _floats(a):
    """A float array as a JavaScript array literal that parses back to the same doubles
    (Python's repr is the shortest round-trip decimal, as is JavaScript's)."""
    text = [repr(v) for v in np.asarray(a, dtype=np.float64).tolist()]
    if not np.all(np.isfinite(a)):
        text = [_SPECIAL.get(t, t) for t in text]
    return "[" + ",".join(text) + "]"


def _groups(depth, order, target):
    """Groups of consecutive depths of about ``target`` nodes; a wider depth is cut into
    chunks. Returns (group id per node, [(column, row, first depth, last depth)])."""
    n = depth.size
    by = np.lexsort((order, depth))
    d_sorted = depth[by]
    starts = np.flatnonzero(np.r_[True, d_sorted[1:] != d_sorted[:-1]])
    sizes = np.diff(np.r_[starts, n])
    gid = np.empty(n, dtype=np.int64)
    meta = []
    col = 0
    j = 0
    while j < starts.size:
        k, total = j, 0
        while k < starts.size and (k == j or total + sizes[k] <= target):
            total += sizes[k]
            k += 1
        lo, hi = starts[j], starts[j] + total
        members = by[lo:hi]
        for row, cut in enumerate(range(0, members.size, target)):
            gid[members[cut:cut + target]] = len(meta)
            meta.append((col, row, int(d_sorted[lo]), int(d_sorted[hi - 1])))
        col += 1
        j = k
    return gid, meta


def _group_data(tape, depth, order):
    target = max(40, int(np.ceil(tape.n_nodes / 150)))
    gid, meta = _groups(depth, order, min(target, GROUP_ABOVE))
    counts = np.bincount(gid, minlength=len(meta))
    summaries = []
    op_of = tape.op.astype(np.int64)
    pair = gid * ops.N_OPS + op_of
    per = np.bincount(pair, minlength=len(meta) * ops.N_OPS).reshape(len(meta), ops.N_OPS)
    short = [_labels.op_symbol(code) for code in range(ops.N_OPS)]
    for g in range(len(meta)):
        top = np.argsort(-per[g], kind="stable")[:3]  # the group's three commonest ops
        summaries.append(", ".join(f"{short[c]} {per[g, c]}" for c in top.tolist() if per[g, c]))
    arity = ops.ARITY_TABLE[tape.op]
    links = []
    for slot, args in ((1, tape.arg0), (2, tape.arg1)):
        child = np.flatnonzero(arity >= slot)
        links.append(gid[args[child]] * len(meta) + gid[child])
    links = np.concatenate(links)
    uniq, cnt = np.unique(links, return_counts=True)
    edges = [[int(u // len(meta)), int(u % len(meta)), int(c)]
             for u, c in zip(uniq.tolist(), cnt.tolist()) if u // len(meta) != u % len(meta)]
    return {"of": gid.tolist(), "list": [[c, r, d0, d1, int(counts[g]), summaries[g]]
                                         for g, (c, r, d0, d1) in enumerate(meta)],
            "edges": edges}


def page(tape, x, *, points=(), labels=None, title=None, max_nodes=MAX_NODES):
    """The explorer page of a tape as HTML text (see :func:`explore`)."""
    from .export import _as_tape, _node_labels, _point
    tape = _as_tape(tape, None)
    if tape.n_nodes > max_nodes:
        raise ValueError(f"this tape has {tape.n_nodes} nodes, more than max_nodes={max_nodes} "
                         "that the page holds comfortably; pass max_nodes=<bigger> to write it "
                         "anyway, or explore a smaller graph")
    pts = [_point(tape, x)] + [_point(tape, p) for p in points]
    names = _node_labels(tape, labels)
    heads, exprs = _labels.tape_labels(tape, names)
    depth = _layout.depths(tape)
    order = _layout.orders(tape, depth)
    js_ops, missing = _jsops.op_table_js()
    used = {ops.BY_CODE[c].name for c in np.unique(tape.op).tolist()}
    data = {
        "title": title or "", "n": tape.n_nodes, "nIn": tape.n_inputs,
        "op": tape.op.tolist(), "a0": tape.arg0.tolist(), "a1": tape.arg1.tolist(),
        "kind": {rec.code: rec.kind.name.lower() for rec in ops.OPS},  # "unary", "const_right" ...
        "opName": {rec.code: rec.name for rec in ops.OPS},
        "arity": {rec.code: rec.arity for rec in ops.OPS},
        "heads": heads, "exprs": exprs,
        "names": [names.get(i) or (tape.input_names[i] if i < tape.n_inputs else "") or ""
                  for i in range(tape.n_nodes)], "outputs": tape.outputs.tolist(),
        "inputNames": [nm or f"input {k}" for k, nm in enumerate(tape.input_names)],
        "depth": depth.tolist(), "order": order.tolist(),
        "groups": _group_data(tape, depth, order) if tape.n_nodes > GROUP_ABOVE else None,
        "untranslated": sorted(used & set(missing)),
    }
    point_js = []
    with np.errstate(all="ignore"):
        for p in pts:
            val, part = tape.linearize(p)
            point_js.append(f"{{x:{_floats(p)},val:{_floats(val)},p0:{_floats(part[:, 0])},"
                            f"p1:{_floats(part[:, 1])}}}")
    # Every "<" of the names and labels as \u003c: "</script>" would end the script, and
    # "<!--<script>" (HTML's script-data escape states) would make the parser swallow the
    # page's own </script>: the script never ran and the page stayed empty.
    script = ("const DATA = " + json.dumps(data, ensure_ascii=False).replace("<", "\\u003c") + ";\n"
              + "DATA.consts = " + _floats(tape.consts) + ";\n"
              + "DATA.points = [" + ",\n".join(point_js) + "];\n" + js_ops)
    heading = title or f"scalargraph explorer: {tape.n_nodes} nodes"
    # One pass: a title holding "/*DATA*/" must not receive the script (as HTML, in <h1>).
    parts = {"/*TITLE*/": _html_escape(heading), "/*DATA*/": script}
    return re.sub(r"/\*(?:TITLE|DATA)\*/", lambda m: parts[m.group(0)], PAGE)


def _html_escape(text):
    import html
    return html.escape(text)


def explore(tape, x, path="graph.html", *, points=(), labels=None, title=None,
            max_nodes=MAX_NODES):
    """Write an interactive page that steps through the tape's sweeps at the point ``x``.

    One self-contained HTML file (no network, works offline and in a notebook): step or
    play the forward pass (values), the reverse pass from a chosen output (adjoints, each
    edge showing local partial × child adjoint, sums where paths meet), forward mode along a
    chosen input (tangents); hover or click a node for its expression, value, adjoint and
    tangent; switch between the precomputed points or type a point, which the page evaluates
    with JavaScript translated from the op table. Tapes over ``GROUP_ABOVE`` nodes open on
    groups of consecutive depths.

    Parameters
    ----------
    tape : Tape, Node or sequence of Node
        What to explore (nodes are compiled as for :func:`scalargraph.to_dot`).
    x : sequence of float or dict
        The point, in input order or keyed by input name.
    path : str or os.PathLike
        Where to write the page.
    points : sequence of points, optional
        More points to precompute with the tape's sweeps; the page switches between them.
    labels : dict, optional
        Names for nodes, keyed by Node or tape index (``{g: "g"}`` shows ``g = x + y``).
    title : str, optional
        The page's heading.
    max_nodes : int
        Largest tape written (default ``MAX_NODES``).

    Returns
    -------
    str
        The path written.

    Raises
    ------
    ValueError
        A bad point, label or a tape over ``max_nodes``.

    Cost: one forward sweep with partials per point; O(n log n) Python for the layout; the
    page holds about 100 B per node (a 10^4-node tape: about 1 MB, opened in 0.2 s by headless
    Chromium; tools/explorer_sizes.py), + about 60 B per node for each extra point.
    """
    text = page(tape, x, points=points, labels=labels, title=title, max_nodes=max_nodes)
    path = os.fspath(path)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


def notebook_html(tape, x=None, height=560):
    """The explorer page inside an ``<iframe srcdoc=...>``, for ``IPython.display.HTML`` and
    ``Tape._repr_html_`` (its own document, so its script runs and its ids stay apart).

    ``x`` defaults to all ones. Returns None for tapes over ``GROUP_ABOVE`` nodes (a notebook
    then shows the plain repr; write the page with :func:`explore`).
    Cost: as :func:`explore`.
    """
    import html
    if tape.n_nodes > GROUP_ABOVE:
        return None
    text = page(tape, np.ones(tape.n_inputs) if x is None else x)
    return (f'<iframe srcdoc="{html.escape(text, quote=True)}" style="width:100%; '
            f'height:{int(height)}px; border:1px solid #ddd"></iframe>')
