"""The scalargraph command line: bench, warmup, info, draw, check.

    python -m scalargraph bench [--quick | --full] ...   the cost report (scalargraph.bench)
    python -m scalargraph warmup                         compile every kernel, with progress
    python -m scalargraph info model.tape                op counts, inputs, outputs, format
    python -m scalargraph draw model.tape --at 1 2       a picture (SVG through Graphviz, or DOT)
    python -m scalargraph check model.tape --order 2     derivatives against central differences

Each subcommand has ``--help``. Exit status: 0 on success, 1 when a file is invalid, a check
fails or a feature is unavailable, 2 for bad usage (argparse).
"""

import argparse
import json
import os
import sys

import numpy as np

PROG = "python -m scalargraph"


def _load(path):
    """The tape in ``path``, or (None, message) when the file cannot be used.

    The message says which: a file that cannot be read (missing, a folder, no permission)
    is not called an invalid tape.
    """
    from .io import load
    try:
        return load(path), None
    except (OSError, ValueError) as err:
        what = "cannot read tape file" if isinstance(err, OSError) else "invalid tape file"
        if isinstance(err, OSError) and err.strerror:
            detail = f"{path}: {err.strerror}"   # not "[Errno 2] ... 'path'"
        else:
            detail = str(err) if str(path) in str(err) else f"{path}: {err}"
        return None, f"{what}: {detail}"


def _point(tape, at, seed):
    if at is None:  # a generic point: kinks and special values sit at 0 and integers
        return np.random.default_rng(seed).uniform(-1.0, 1.0, tape.n_inputs)
    if len(at) != tape.n_inputs:
        raise SystemExit(f"{PROG}: --at gives {len(at)} value(s), the tape has "
                         f"{tape.n_inputs} input(s)")
    return np.array(at, dtype=np.float64)


def cmd_bench(args):
    from .bench.report import main
    main(args.rest)
    return 0


def cmd_warmup(args):
    import scalargraph
    warmup = getattr(scalargraph, "warmup", None)
    if warmup is None:
        print(f"{PROG} warmup: unavailable in this version of scalargraph (no "
              "scalargraph.warmup); kernels compile on first use instead", file=sys.stderr)
        return 1
    warmup(progress=not args.quiet)
    return 0


def info(tape):
    """The facts ``info`` prints, as a dict."""
    from .io import FORMAT_NAME, FORMAT_VERSION
    names = [n for n in tape.input_names[:tape.n_inputs]]
    return {
        "format": FORMAT_NAME, "version": FORMAT_VERSION,
        "validation": "ok (every array checked on load)",
        "nodes": int(tape.n_nodes), "inputs": int(tape.n_inputs), "data_inputs": int(tape.n_data),
        "outputs": int(tape.n_outputs), "constants": int(tape.consts.shape[0]),
        "bytes": int(tape.nbytes),
        "input_names": names,
        "op_counts": tape.op_counts(),
    }


def cmd_info(args):
    tape, error = _load(args.file)
    if tape is None:
        print(json.dumps({"file": args.file, "validation": f"failed: {error}"}) if args.json
              else error)
        return 1
    facts = info(tape)
    if args.json:
        print(json.dumps({"file": args.file, **facts}, indent=1))
        return 0
    names = facts["input_names"]
    shown = ", ".join("-" if n is None else n for n in names[:10]) + (
        " ..." if len(names) > 10 else "")
    print(f"{args.file}: {facts['format']} version {facts['version']}, validation "
          f"{facts['validation']}")
    print(f"  nodes {facts['nodes']}, inputs {facts['inputs']} ({shown})"
          + (f", of which {facts['data_inputs']} data" if facts["data_inputs"] else "")
          + f", outputs {facts['outputs']}, constants {facts['constants']}, "
          f"{facts['bytes']} bytes")
    width = max(len(k) for k in facts["op_counts"]) if facts["op_counts"] else 0
    for op, count in sorted(facts["op_counts"].items(), key=lambda kv: -kv[1]):
        print(f"  {op:<{width}}  {count}")
    return 0


def cmd_draw(args):
    from .export import dot_program, draw
    tape, error = _load(args.file)
    if tape is None:
        print(error, file=sys.stderr)
        return 1
    out = args.output
    if out is None:
        stem = os.path.splitext(args.file)[0]
        out = stem + (".svg" if dot_program() is not None else ".dot")
    x = None if args.at is None else _point(tape, args.at, 0)
    try:
        draw(tape, out, x, partials=args.partials, large="summary", output=args.of)
    except (RuntimeError, ValueError, IndexError, TypeError) as err:
        print(f"{PROG} draw: {err}", file=sys.stderr)
        return 1
    print(out)
    return 0


def cmd_check(args):
    from .gradcheck import check_grads
    tape, error = _load(args.file)
    if tape is None:
        print(error, file=sys.stderr)
        return 1
    if args.seed < 0:
        print(f"{PROG} check: --seed must be >= 0, got {args.seed}", file=sys.stderr)
        return 2
    try:  # a bad --eps, --rtol or --atol: said as such, not as a traceback
        x = _point(tape, args.at, args.seed)
        report = check_grads(tape, x, order=args.order, rtol=args.rtol, atol=args.atol,
                             eps=args.eps, seed=args.seed, raise_on_failure=False)
    except ValueError as err:
        print(f"{PROG} check: {err}", file=sys.stderr)
        return 2
    print(f"at x = {np.array2string(x, precision=4, threshold=8)}")
    print(report)
    if not report.ok:
        print(f"FAILED: {len(report.failures)} entries; worst: {report.describe(report.worst)}")
        return 1
    return 0


def parser():
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n")[1])
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    b = sub.add_parser("bench", add_help=False, help="the cost report (python -m "
                       "scalargraph.bench); options pass through, see bench --help")
    b.add_argument("rest", nargs=argparse.REMAINDER)
    b.set_defaults(run=cmd_bench)

    w = sub.add_parser("warmup", help="compile every kernel now (they are cached on disk), "
                       "with progress", description="Compile every kernel now, so that later "
                       "first calls do not wait; compiled kernels are cached on disk.")
    w.add_argument("--quiet", action="store_true", help="no progress lines")
    w.set_defaults(run=cmd_warmup)

    i = sub.add_parser("info", help="a saved tape's op counts, inputs, outputs, format, "
                       "validation", description="Load a saved tape (validating every array) "
                       "and print its format version, sizes, inputs and op counts.")
    i.add_argument("file", help="a file written by tape.save / sg.save")
    i.add_argument("--json", action="store_true", help="print JSON")
    i.set_defaults(run=cmd_info)

    d = sub.add_parser("draw", help="draw a saved tape (SVG/PNG/PDF via Graphviz, or DOT)",
                       description="Draw a saved tape; with --at, every node's value (black) "
                       "and adjoint (blue). Tapes over 500 nodes are drawn as one box per op.")
    d.add_argument("file")
    d.add_argument("--at", type=float, nargs="+", metavar="X", help="input values")
    d.add_argument("-o", "--output", help="where to write (.svg .png .pdf .dot); default: "
                   "FILE with .svg (or .dot without Graphviz)")
    d.add_argument("--partials", action="store_true", help="label edges with local partials "
                   "(needs --at)")
    d.add_argument("--of", type=int, default=0, metavar="K", help="adjoints of output K")
    d.set_defaults(run=cmd_draw)

    c = sub.add_parser("check", help="check a saved tape's derivatives against central "
                       "differences (sg.check_grads)",
                       description="Both modes against central differences, the transpose "
                       "identity, and with --order 2 Hessian-vector products; exit status 1 "
                       "on failure.")
    c.add_argument("file")
    c.add_argument("--at", type=float, nargs="+", metavar="X",
                   help="the point (default: uniform in [-1, 1], from --seed)")
    c.add_argument("--order", type=int, choices=(1, 2), default=1)
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--rtol", type=float, default=1e-5)
    c.add_argument("--atol", type=float, default=1e-7)
    c.add_argument("--eps", type=float, default=None, help="relative step (default eps^(1/3))")
    c.set_defaults(run=cmd_check)
    return p


def main(argv=None):
    """Run the command line; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:  # every option, --help included, belongs to the bench report
        from .bench.report import main as bench_main
        bench_main(argv[1:])
        return 0
    p = parser()
    args = p.parse_args(argv)
    if args.command is None:
        p.print_help()
        return 0
    return args.run(args)
