"""Pictures of graphs: Graphviz DOT text for a tape (or for nodes), and rendering to SVG/PNG.

``to_dot`` writes one box per tape node, labelled as the user wrote it (``+``, ``×``, ``exp``,
``x / 3``, ``1 / x``: constants folded into the label, see ``_labels``), the variable's name
for an input and the constant for a constant; a deep graph wraps into bands of columns
instead of one endless row (``_layout``). Given input values it annotates every node with its
value (black) and its adjoint d output / d node (blue), the colours of the staged-computation
worksheet; ``partials=True`` labels each edge with the local partial derivative d child /
d parent that the reverse sweep multiplies by.

``draw`` renders the DOT text with the Graphviz ``dot`` program when it is installed. Graphviz
is optional: ``to_dot`` needs nothing, and ``draw`` says how to install it when it is missing.

A drawing of more than ``MAX_NODES`` boxes is unreadable, so larger tapes are refused with a
message that gives their op counts, or drawn as an op-level summary (``large="summary"``: one
box per op with its count, edges counting parent -> child links between ops).
"""

import html
import os
import shutil
import subprocess

import numpy as np

from . import ops, _labels, _layout, validate
from .arrays import NodeArray
from .graph import Node, foreign_node_error
from .tape import Tape

#: Largest tape drawn box by box; pass ``max_nodes=`` to raise it.
MAX_NODES = 500

_NODE_ARITY = ops.ARITY_TABLE
_INSTALL_HINT = ("install Graphviz (Debian/Ubuntu: apt-get install graphviz; conda: conda install "
                 "graphviz; macOS: brew install graphviz), or write the DOT text instead with "
                 "sg.to_dot(...) / a path ending in .dot and render it elsewhere")


_fmt = _labels.fmt


def _ancestor_inputs(nodes):
    """The variables the given nodes depend on, in recording order (for compiling nodes)."""
    from .kernels import flatten as _flatten  # the compile kernel that marks live nodes
    from .flatten import record_snapshot  # copies: no view may pin the growing record
    from .flatten import checked_indices
    graph = nodes[0].graph
    roots = checked_indices(graph, np.array([n.index for n in nodes]), "nodes")
    op, arg0, arg1, _ = record_snapshot(graph, int(roots.max()) + 1)
    live = _flatten.mark_live(op, arg0, arg1, _NODE_ARITY, roots)
    idx = np.flatnonzero((live == 1) & (op[:live.shape[0]] == ops.INPUT))
    return [Node(graph, int(i)) for i in idx]


def _as_tape(source, inputs):
    if isinstance(source, Tape):
        if inputs is not None:
            raise ValueError("inputs= is for drawing nodes; a tape already has its inputs")
        return source
    if type(source) is Node:
        outputs = [source]
    elif isinstance(source, NodeArray):
        outputs = list(source.nodes().ravel())
    elif isinstance(source, (list, tuple, np.ndarray)):
        outputs = list(np.asarray(source, dtype=object).ravel())
    else:
        raise TypeError(f"to_dot draws a Tape or graph nodes (a Node or a list of them), got "
                        f"{type(source).__name__}")
    if not outputs or any(type(n) is not Node for n in outputs):
        raise TypeError("to_dot needs at least one node, and only nodes, to draw; "
                        "compile plain numbers with sg.compile instead")
    from .flatten import compile as _compile
    graph = outputs[0].graph
    for node in outputs:
        if node.graph is not graph:  # before any kernel reads the graph's arrays
            raise foreign_node_error(node)
    if inputs is None:
        inputs = _ancestor_inputs(outputs)
    return _compile(inputs, outputs)


def _point(tape, x):
    """Input values as a float array in the tape's input order; a dict may name them."""
    if isinstance(x, dict):
        by_name = {}
        for key, value in x.items():
            if type(key) is Node:
                key = tape.index(key)
            elif isinstance(key, str):
                if key not in tape.input_names:
                    raise ValueError(f"x names {key!r}, which is not an input of the tape "
                                     f"(inputs: {tape.input_names})")
                key = tape.input_names.index(key)
            if not isinstance(key, (int, np.integer)) or not 0 <= key < tape.n_inputs:
                raise ValueError(f"x has key {key!r}: expected an input's name, node or position")
            by_name[int(key)] = value
        missing = [tape.input_names[k] or k for k in range(tape.n_inputs) if k not in by_name]
        if missing:
            raise ValueError(f"x gives no value for input(s) {missing}")
        x = [by_name[k] for k in range(tape.n_inputs)]
    return validate.point(tape, x)


def _node_labels(tape, labels):
    out = {}
    for key, text in (labels or {}).items():
        if type(key) is Node:
            key = tape.index(key)
        if not isinstance(key, (int, np.integer)) or not 0 <= key < tape.n_nodes:
            raise ValueError(f"labels has key {key!r}: expected a node of the tape or a tape "
                             f"index 0..{tape.n_nodes - 1}")
        out[int(key)] = str(text)
    return out


def _check_size(tape, max_nodes, large):
    if large not in ("raise", "summary"):
        raise ValueError(f"large must be 'raise' or 'summary', got {large!r}")
    if tape.n_nodes <= max_nodes:
        return False
    if large == "summary":
        return True
    counts = ", ".join(f"{k} {v}" for k, v in sorted(tape.op_counts().items(), key=lambda kv: -kv[1]))
    raise ValueError(f"this tape has {tape.n_nodes} nodes, more than max_nodes={max_nodes} boxes "
                     f"can show readably (ops: {counts}). Pass large='summary' for one box per "
                     "op, max_nodes=<bigger> to draw every node anyway, or draw a smaller graph")


def to_dot(source, x=None, *, values=None, adjoints=None, partials=False, messages=False, output=0,
           labels=None, inputs=None, title=None, rankdir="LR", max_nodes=MAX_NODES,
           large="raise"):
    """Graphviz DOT text of a tape, or of the graph that computes the given nodes.

    Parameters
    ----------
    source : Tape, Node, NodeArray or sequence of Node
        What to draw. Nodes are compiled first (their ancestors only); their inputs are the
        variables they depend on, in recording order, unless ``inputs`` says otherwise.
    x : sequence of float or dict, optional
        Input values, in the tape's input order, or a dict keyed by input name, node or
        position. Needed for values, adjoints and partials.
    values, adjoints : bool, optional
        Show each node's value (black) and its adjoint d output / d node (blue). Default:
        both when ``x`` is given.
    partials : bool
        Label each edge parent -> child with the local partial d child / d parent.
    messages : bool
        Label each edge with what it carries, as the staged-computation worksheet draws
        it: forward, the parent's value (black); backward, the gradient message adjoint(child)
        * partial (blue). A node's adjoint is the sum of the messages on its out-edges (the
        law of total derivatives).
    output : int
        Which output the adjoints are of.
    labels : dict, optional
        Extra names for nodes, keyed by Node (or tape index): ``{f1: "f1"}`` shows "f1 = exp".
    inputs : sequence of Node, optional
        Input order when drawing nodes.
    title : str, optional
        A caption under the drawing.
    rankdir : {"LR", "TB", "RL", "BT"}
        Direction of the data flow.
    max_nodes : int
        Largest tape drawn box by box (default ``MAX_NODES`` = 500).
    large : {"raise", "summary"}
        For a tape over ``max_nodes``: raise a ValueError that lists its op counts, or draw
        one box per op with its count (edges count parent -> child links).

    Returns
    -------
    str
        DOT text (a ``digraph``); render it with :func:`draw` or ``dot -Tsvg``.

    Raises
    ------
    ValueError
        Values, adjoints or partials asked for without ``x``; a tape over ``max_nodes`` with
        ``large="raise"``; a bad label key, output or ``x``.

    Cost: one forward sweep (values), + one reverse sweep (adjoints) or a forward sweep
    with partials; O(n_nodes) Python to write the text, refused above ``max_nodes``.
    """
    tape = _as_tape(source, inputs)
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    if not isinstance(max_nodes, (int, np.integer)) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, got {max_nodes!r}")
    if _check_size(tape, max_nodes, large):
        return _summary_dot(tape, title, rankdir)
    values = x is not None if values is None else bool(values)
    adjoints = x is not None and tape.n_outputs > 0 if adjoints is None else bool(adjoints)
    if (values or adjoints or partials or messages) and x is None:
        raise ValueError("values, adjoints and edge labels need input values: pass x=[...]")
    names = _node_labels(tape, labels)
    val = adj = part = None
    if x is not None:
        point = _point(tape, x)
        with np.errstate(all="ignore"):
            if adjoints or messages:
                adj = tape.adjoints(point, output=output)
            if values or partials or messages:
                val, part = tape.linearize(point)
    edges = None
    if partials or messages:
        edges = (part if partials else None, (val, adj, part) if messages else None)
    return _node_dot(tape, names, val if values else None, adj if adjoints else None, edges,
                     output, title, rankdir)


def _edge_label(i, slot, parent, edges):
    part, flow = edges
    rows = []
    if flow is not None:
        val, adj, p = flow
        with np.errstate(all="ignore"):
            message = adj[i] * p[i, slot] if adj[i] != 0.0 and p[i, slot] != 0.0 else 0.0
        rows += [f'<font color="black">{_fmt(val[parent])}</font>',
                 f'<font color="blue">{_fmt(message)}</font>']
    if part is not None:
        rows.append(f'<font color="#777777">∂ {_fmt(part[i, slot])}</font>')
    return f" [label=<{'<br/>'.join(rows)}>]"


def _node_dot(tape, names, val, adj, edges, output, title, rankdir):
    op, arg0, arg1, consts = tape.op, tape.arg0, tape.arg1, tape.consts
    out_of = {}
    for k, o in enumerate(tape.outputs):
        out_of.setdefault(int(o), []).append(k)
    lines = ["digraph scalargraph {",
             f"  rankdir={rankdir};",
             '  node [shape=box, fontname="Helvetica", fontsize=11];',
             '  edge [fontname="Helvetica", fontsize=9, color="#555555"];']
    heads, _ = _labels.tape_labels(tape, names)
    wrap, back = _layout.dot_wrap(tape, _layout.depths(tape))
    for i in range(tape.n_nodes):
        rec = ops.BY_CODE[int(op[i])]
        head = heads[i]
        rows = [f"<b>{html.escape(head)}</b>"]
        if val is not None:
            rows.append(f'<font color="black">{_fmt(val[i])}</font>')
        if adj is not None:
            rows.append(f'<font color="blue">{_fmt(adj[i])}</font>')
        if i in out_of:
            rows.append(f'<font point-size="9" color="#777777">output {",".join(map(str, out_of[i]))}</font>')
        attrs = [f"label=<{'<br/>'.join(rows)}>"]
        if rec.kind == ops.INPUT_KIND:
            attrs.append('style="rounded,filled", fillcolor="#eeeeee"')
        elif rec.kind == ops.CONST_KIND:
            attrs.append("style=dashed")
        if i in out_of:
            attrs.append("peripheries=2")
        lines.append(f"  n{i} [{', '.join(attrs)}];")
    for i in range(tape.n_nodes):
        arity = ops.BY_CODE[int(op[i])].arity
        for slot, parent in enumerate((arg0[i], arg1[i])[:arity]):
            label = _edge_label(i, slot, parent, edges) if edges is not None else ""
            if (int(parent), i) in back:  # a wrapped graph's edge to the next band
                label = label[:-1] + ", constraint=false]" if label else " [constraint=false]"
            lines.append(f"  n{parent} -> n{i}{label};")
    lines += wrap
    legend = []
    if val is not None:
        legend.append("black: value")
    if adj is not None:
        legend.append(f"blue: adjoint d(output {output})/d(node)")
    if edges is not None and edges[1] is not None:
        legend.append("edges: value carried forward (black), gradient message backward (blue)")
    if edges is not None and edges[0] is not None:
        legend.append("∂: local partial d(child)/d(parent)")
    caption = " · ".join(([title] if title else []) + legend)
    if caption:
        lines.append(f'  label="{_escape(caption)}"; labelloc=b; fontname="Helvetica"; fontsize=10;')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _summary_dot(tape, title, rankdir):
    """One box per op with its node count; edges count parent -> child links between ops."""
    n_ops = len(ops.OPS)
    op = tape.op.astype(np.int64)
    counts = np.bincount(op, minlength=n_ops)
    arity = _NODE_ARITY[tape.op]
    pairs = []
    for slot, args in ((1, tape.arg0), (2, tape.arg1)):
        child = np.flatnonzero(arity >= slot)
        pairs.append(op[args[child]] * n_ops + op[child])
    links = np.bincount(np.concatenate(pairs), minlength=n_ops * n_ops) if pairs else np.zeros(0)
    lines = ["digraph scalargraph_summary {", f"  rankdir={rankdir};",
             '  node [shape=box, fontname="Helvetica", fontsize=11];',
             '  edge [fontname="Helvetica", fontsize=9, color="#555555"];']
    for c in np.flatnonzero(counts):
        lines.append(f'  "{ops.BY_CODE[int(c)].name}" [label="{ops.BY_CODE[int(c)].name} × {counts[c]}"];')
    for pc in np.flatnonzero(links):
        a, b = divmod(int(pc), n_ops)
        lines.append(f'  "{ops.BY_CODE[a].name}" -> "{ops.BY_CODE[b].name}" [label="{links[pc]}"];')
    caption = (f"{title} · " if title else "") + (
        f"summary of {tape.n_nodes} nodes: boxes count nodes per op, edges count links")
    lines.append(f'  label="{_escape(caption)}"; labelloc=b; fontname="Helvetica"; fontsize=10;')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _escape(text):
    return text.replace("\\", "\\\\").replace('"', '\\"')


def dot_program():
    """Path of the Graphviz ``dot`` program, or None when Graphviz is not installed."""
    return shutil.which("dot")


def draw(source, path, x=None, **options):
    """Draw a tape (or nodes) to a file: SVG, PNG or PDF through Graphviz, or DOT text.

    Parameters
    ----------
    source : Tape, Node or sequence of Node
        As for :func:`to_dot`.
    path : str or os.PathLike
        Where to write; the suffix picks the format: ``.svg``, ``.png``, ``.pdf`` (rendered by
        Graphviz's ``dot``) or ``.dot`` / ``.gv`` (the text, no Graphviz needed).
    x, **options
        Passed to :func:`to_dot` (``values``, ``adjoints``, ``partials``, ``labels`` ...).

    Returns
    -------
    str
        The path written.

    Raises
    ------
    RuntimeError
        Graphviz's ``dot`` is not installed (the message says how to install it), or it
        failed on the text.
    ValueError
        An unknown suffix, or what :func:`to_dot` raises.

    Cost: :func:`to_dot`, plus one ``dot`` process for rendered formats.
    """
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower().lstrip(".")
    if suffix not in ("svg", "png", "pdf", "dot", "gv"):
        raise ValueError(f"draw writes .svg, .png, .pdf, .dot or .gv files, got {path!r}")
    text = to_dot(source, x, **options)
    if suffix in ("dot", "gv"):
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        return path
    program = dot_program()
    if program is None:
        raise RuntimeError(f"cannot render {path!r}: Graphviz's `dot` program was not found on "
                           f"PATH; {_INSTALL_HINT}")
    result = subprocess.run([program, f"-T{suffix}", "-o", path], input=text.encode("utf-8"),
                            capture_output=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"Graphviz `dot` failed on the drawing ({result.returncode}): "
                           f"{result.stderr.decode(errors='replace').strip()}")
    return path
