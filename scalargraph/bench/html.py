"""The cost report as one self-contained HTML page: tables, verdicts, plots inline (base64 PNG)."""

import base64
from html import escape
from pathlib import Path

_STYLE = """body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}
td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:right}
td:first-child,th:first-child{text-align:left}
.matches{background:#dff3df}.differs{background:#f8d7d7}.inconclusive{background:#fdf1cf}
.caveat{background:#fdf1cf;padding:.5rem;border-left:4px solid #d9a400}
.note{color:#444;font-size:.85rem;max-width:60rem}img{max-width:100%}"""


def _table(columns, rows, verdict_col=None):
    head = "".join(f"<th>{escape(str(c))}</th>" for c in columns)
    body = []
    for row in rows:
        cls = f' class="{escape(str(row[verdict_col]))}"' if verdict_col is not None else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{escape(_cell(c))}</td>" for c in row)
                    + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _cell(v):
    from .checks import fmt
    return fmt(v)


def page(results, pngs=()):
    """The HTML text of a report from its results (see :func:`report.results`) and PNG paths."""
    from .report import QUICK_CAVEAT, VERDICT_NOTE, check_rows, header_lines
    h = results["header"]
    parts = [f"<!doctype html><html><head><meta charset='utf-8'>"
             f"<title>scalargraph cost report, {escape(h['date'])}</title>"
             f"<style>{_STYLE}</style></head><body><h1>scalargraph cost report</h1><ul>"]
    parts += [f"<li>{escape(line[2:])}</li>" for line in header_lines(h)]
    parts.append("</ul>")
    if h["mode"] == "quick":
        parts.append(f"<p class='caveat'>{escape(QUICK_CAVEAT.replace('**', ''))}</p>")
    parts.append("<h2>Verdicts</h2>")
    parts.append(_table(["claim", "quantity", "measured [95% interval]", "predicted",
                         "verdict", "why"], check_rows(results["checks"]), verdict_col=4))
    parts.append(f"<p class='note'>{escape(VERDICT_NOTE)}</p><h2>Plots</h2>")
    if not pngs:
        parts.append("<p class='note'>No plots: run without --no-plots, with matplotlib "
                     "installed.</p>")
    for path in pngs:
        data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
        parts.append(f"<img alt='{escape(Path(path).stem)}' src='data:image/png;base64,{data}'>")
    parts.append("<h2>Tables</h2>")
    for title, columns, rows, note in results["tables"]:
        parts.append(f"<h3>{escape(title)}</h3>" + _table(columns, rows)
                     + (f"<p class='note'>{escape(note)}</p>" if note else ""))
    parts.append("</body></html>")
    return "\n".join(parts)
