"""Staged computation, from the discussion worksheet: f(x, y, z) = (x + y) z at (-2, 5, -4).

The worksheet decomposes f into g = x + y and f = g z, runs the forward pass (values, black)
and the backward pass (gradients, blue):

    g = x + y = 3          f = g z = -12
    df/dz = g = 3          df/dg = z = -4          df/dx = df/dy = 1.0 * df/dg = -4

This script prints the value and the gradient carried along every edge of the graph, from the
tape next to the worksheet's numbers, draws the graph annotated the same way, and writes
``staged_explorer.html``, a page that steps through both passes node by node (open it in a
browser: "step" for the forward pass, then "reverse pass" and "step" again).

Run: python examples/staged.py [--quick] [--out DIR] [--no-plot]
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scalargraph as sg  # noqa: E402
from _common import parse_args, draw, out_path  # noqa: E402

POINT = {"x": -2.0, "y": 5.0, "z": -4.0}
# The worksheet's solution, part (d).
WORKSHEET = {"g": 3.0, "f": -12.0, "df/dx": -4.0, "df/dy": -4.0, "df/dg": -4.0, "df/dz": 3.0}


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    with sg.Graph():
        x, y, z = sg.var("x"), sg.var("y"), sg.var("z")
        g = x + y
        f = g * z
        tape = sg.compile([x, y, z], [f])
    point = [POINT["x"], POINT["y"], POINT["z"]]
    values = tape.values(point)
    grads = tape.adjoints(point)
    node = {"x": x, "y": y, "z": z, "g": g, "f": f}
    val = {k: float(values[tape.index(n)]) for k, n in node.items()}
    grad = {k: float(grads[tape.index(n)]) for k, n in node.items()}

    print("Staged computation (worksheet): f(x, y, z) = (x + y) z, g = x + y, f = g z")
    print("at x = -2, y = 5, z = -4\n")
    print("Every edge carries a value forward (black in the drawing) and a gradient backward (blue):")
    print(f"  {'edge':8} {'forward value':>14} {'backward df/d(source)':>22} {'worksheet':>10}")
    for src, dst in (("x", "g"), ("y", "g"), ("g", "f"), ("z", "f")):
        print(f"  {src} -> {dst:3} {val[src]:14g} {grad[src]:22g} {WORKSHEET['df/d' + src]:10g}")
    print(f"\n  g = x + y = {val['g']:g} (worksheet {WORKSHEET['g']:g}),  "
          f"f = g z = {val['f']:g} (worksheet {WORKSHEET['f']:g})")
    print("  mul gate switches its inputs: df/dz = g = {:g}, df/dg = z = {:g}".format(grad["z"], grad["g"]))
    print("  add gate distributes:       df/dx = df/dy = 1.0 * df/dg = {:g}".format(grad["x"]))
    print(f"  tape.gradient({point}) = {tape.gradient(point).tolist()}")

    page = None
    if args.plot:
        page = sg.explore(tape, point, out_path(args, "staged_explorer.html"),
                          labels={g: "g", f: "f"}, points=[[1.0, 2.0, 3.0]],
                          title="f = (x + y) z: the staged-computation worksheet")
        print(f"\nexplorer page written: {page} (step the forward and reverse passes in a browser)")
        draw(tape, args, "staged_graph.png", point, messages=True,
             labels={g: "g", f: "f"}, title="f = (x + y) z at (-2, 5, -4)")
    return dict(values=val, gradients=grad, worksheet=WORKSHEET, page=page)


if __name__ == "__main__":
    main()
