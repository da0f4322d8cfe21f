"""Two runs of the cost report side by side: which verdicts moved, and whether any flipped.

A flip is ``matches`` in one run and ``differs`` in the other; a move to or from
``inconclusive`` is not a flip (a busier machine may widen an interval past a band edge).
Used by ``tools/load_test.py`` (quiet run against a run with one core kept busy).
"""

from .checks import DIFFERS, MATCHES

_DECIDED = {MATCHES, DIFFERS}


def side_by_side(a, b, names=("quiet", "busy")):
    """Rows (claim, quantity, a measured, a verdict, b measured, b verdict, flip) of two
    results dicts, matched by (claim, quantity); also the list of flipped rows."""
    by_key = {(c["claim"], c["quantity"]): c for c in b["checks"]}
    rows, flips = [], []
    for c in a["checks"]:
        d = by_key.get((c["claim"], c["quantity"]))
        if d is None:
            rows.append((c["claim"], c["quantity"], c["measured_text"], c["verdict"], "-",
                         f"missing in {names[1]}", "?"))
            continue
        flip = {c["verdict"], d["verdict"]} == _DECIDED
        row = (c["claim"], c["quantity"], c["measured_text"], c["verdict"],
               d["measured_text"], d["verdict"], "FLIP" if flip else
               "same" if c["verdict"] == d["verdict"] else "moved")
        rows.append(row)
        if flip:
            flips.append(row)
    return rows, flips


def markdown(a, b, names=("quiet", "busy")):
    """The side-by-side verdict table as markdown, with the two runs' headers."""
    rows, flips = side_by_side(a, b, names)
    load = lambda h: (f"load {h['load_before'][0]:.2f} -> {h['load_after'][0]:.2f}"
                      if h.get("load_before") and h.get("load_after") else "load ?")
    lines = [f"- {n}: {r['header']['date']}, {r['header']['mode']}, {load(r['header'])}, "
             f"{r['header'].get('total_s', 0):.0f} s" for n, r in zip(names, (a, b))]
    lines += ["", f"| claim | quantity | {names[0]} measured | {names[0]} | {names[1]} measured "
              f"| {names[1]} | |", "|---|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    moved = sum(r[6] == "moved" for r in rows)
    lines += ["", f"{len(rows)} verdicts: {len(rows) - moved - len(flips)} the same, {moved} "
              f"moved to or from inconclusive, {len(flips)} flipped between matches and "
              "differs."]
    return "\n".join(lines), flips
