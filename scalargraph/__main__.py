"""``python -m scalargraph COMMAND``: the command line (``warmup``; ``bench`` runs the report)."""

import sys


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    commands = {"warmup": "compile every kernel ahead of time, with progress",
                "bench": "the cost report (python -m scalargraph.bench)"}
    if not argv or argv[0] not in commands:
        print("usage: python -m scalargraph {" + ",".join(commands) + "} [--help]\n" +
              "\n".join(f"  {name:8} {what}" for name, what in commands.items()),
              file=sys.stderr if argv else sys.stdout)
        return 2 if argv and argv[0] not in ("-h", "--help") else 0
    if argv[0] == "warmup":
        from .warmup import main as run
    else:
        from .bench.report import main as run
    return run(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
