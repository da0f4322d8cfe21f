"""How tapes show themselves: ``repr(tape)`` in one line, and pictures in notebooks.

* ``repr(tape)``: inputs, outputs, nodes, the most common ops, bytes, in one line.
* ``tape._repr_html_()`` / ``_repr_svg_()`` (what Jupyter calls): a tape of at most
  ``SMALL`` nodes is drawn box by box, through Graphviz's ``dot`` when it is installed (SVG),
  else as an HTML table (node, op, parents, and with an evaluation, value and adjoint); a
  larger tape shows a compact summary (op counts, inputs, outputs, bytes).
* ``tape.evaluate(x)`` returns an :class:`~scalargraph.result.Evaluation`, which shows the
  same picture with every node's value (black) and adjoint (blue).
"""

import html
import subprocess

import numpy as np

from . import ops

#: Largest tape a notebook draws node by node.
SMALL = 60


def _plural(n, word):
    return f"{n} {word}" + ("" if n == 1 else "s")


def _top_ops(tape, k):
    counts = sorted(((name, n) for name, n in tape.op_counts().items() if name != "input"),
                    key=lambda kv: (-kv[1], kv[0]))
    shown = ", ".join(f"{name} {n}" for name, n in counts[:k])
    return shown + (", ..." if len(counts) > k else "")


def summary_line(tape):
    """``<Tape: 2 inputs, 1 output, 7 nodes (exp 2, add 2, ...), 63 bytes>``. Cost: O(n_nodes)."""
    data = f" ({tape.n_data} data)" if tape.n_data else ""
    return (f"<Tape: {_plural(tape.n_inputs, 'input')}{data}, {_plural(tape.n_outputs, 'output')}, "
            f"{_plural(tape.n_nodes, 'node')} ({_top_ops(tape, 4)}), {tape.nbytes} bytes>")


def _render_svg(dot_text):
    from .export import dot_program
    program = dot_program()
    if program is None:
        return None
    try:
        done = subprocess.run([program, "-Tsvg"], input=dot_text.encode("utf-8"),
                              capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    text = done.stdout.decode("utf-8", errors="replace")
    start = text.find("<svg")  # drop the XML prolog and doctype, for inline HTML
    return text[start:] if start >= 0 else None


def svg(tape, evaluation=None):
    """SVG text of a small tape (with values and adjoints of ``evaluation``), or None when the
    tape is large or Graphviz is missing. Cost: :func:`scalargraph.to_dot` + one ``dot`` run."""
    if tape.n_nodes > SMALL:
        return None
    from .export import to_dot
    if evaluation is None:
        return _render_svg(to_dot(tape))
    with np.errstate(all="ignore"):
        return _render_svg(to_dot(tape, evaluation.x, adjoints=_has_adjoints(tape, evaluation),
                                  output=_output_of(tape, evaluation)))


def _output_of(tape, evaluation):
    if evaluation._default is not None:
        return evaluation._default
    return 0


def _has_adjoints(tape, evaluation):
    return tape.n_outputs == 1 or evaluation._default is not None


def _table(tape, evaluation):
    show_adj = evaluation is not None and _has_adjoints(tape, evaluation)
    adj = evaluation.adjoints(_output_of(tape, evaluation)) if show_adj else None
    out_of = {}
    for k, o in enumerate(tape.outputs):
        out_of.setdefault(int(o), []).append(str(k))
    head = ["node", "op", "parents"] + (["value"] if evaluation is not None else []) + (
        ["adjoint"] if show_adj else []) + ["output"]
    rows = ["<tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for i in range(tape.n_nodes):
        rec = ops.BY_CODE[int(tape.op[i])]
        if rec.kind == ops.INPUT_KIND:
            what, parents = f"input {tape.input_names[i] or ''}".strip(), ""
        elif rec.kind == ops.CONST_KIND:
            what, parents = f"const {tape.consts[tape.arg0[i]]:.6g}", ""
        elif rec.kind == ops.CONST_RIGHT:
            what, parents = f"{rec.name} {tape.consts[tape.arg1[i]]:.6g}", str(tape.arg0[i])
        else:
            what = rec.name
            parents = ", ".join(str(a) for a in (tape.arg0[i], tape.arg1[i])[:rec.arity])
        cells = [str(i), html.escape(what), parents]
        if evaluation is not None:
            cells.append(f"{evaluation.values[i]:.6g}")
        if show_adj:
            cells.append(f'<span style="color:blue">{adj[i]:.6g}</span>')
        cells.append(",".join(out_of.get(i, [])))
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return "<table>" + "".join(rows) + "</table>"


def _summary_html(tape):
    names = list(tape.input_names[:8])
    shown = ", ".join(html.escape(str(n)) if n is not None else "-" for n in names)
    if tape.n_inputs > 8:
        shown += ", ..."
    counts = "".join(f"<tr><td>{html.escape(k)}</td><td>{v}</td></tr>"
                     for k, v in sorted(tape.op_counts().items(), key=lambda kv: -kv[1]))
    return (f"<div><b>Tape</b>: {_plural(tape.n_inputs, 'input')} ({shown})"
            + (f", of which {tape.n_data} data" if tape.n_data else "")
            + f"; {_plural(tape.n_outputs, 'output')}; {_plural(tape.n_nodes, 'node')}; "
            f"{tape.nbytes} bytes<table><tr><th>op</th><th>nodes</th></tr>{counts}</table></div>")


def html_text(tape, evaluation=None):
    """HTML for a notebook: the drawing (SVG through Graphviz) or a node table for a small
    tape, a summary for a large one. Cost: O(n_nodes), plus one ``dot`` run when drawn."""
    if tape.n_nodes > SMALL:
        text = _summary_html(tape)
        if evaluation is not None:
            outs = ", ".join(f"{v:.6g}" for v in evaluation.outputs[:8])
            text += f"<div>outputs: [{outs}{' ...' if tape.n_outputs > 8 else ''}]</div>"
        return text
    picture = svg(tape, evaluation)
    if picture is not None:
        return picture
    return (f"<div>{html.escape(summary_line(tape))}</div>" + _table(tape, evaluation))
