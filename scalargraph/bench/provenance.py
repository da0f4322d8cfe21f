"""Where a report came from: date, commit, machine, load, package versions."""

import datetime
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]   # the checkout, when run from one


def load_average():
    """The 1, 5 and 15 minute load averages (None where the OS does not say)."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def commit():
    """The checkout's commit (short hash, '+ local changes' when dirty), or why unknown."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return "unknown (not a git checkout)"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, capture_output=True, text=True, timeout=10)
        return head.stdout.strip() + (" + local changes" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown (git not available)"


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def versions():
    out = {"python": platform.python_version()}
    for name in ("scalargraph", "numpy", "numba", "matplotlib", "casadi"):
        if name == "scalargraph":
            import scalargraph
            out[name] = getattr(scalargraph, "__version__", None) or _dist(name) or "checkout"
            continue
        v = sys.modules[name].__version__ if name in sys.modules else _dist(name)
        out[name] = v or "not installed"
    return out


def _dist(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def machine(mode):
    """The header of a report run in ``mode``, taken before measuring."""
    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": commit(), "cpu": cpu_model(), "cores": os.cpu_count(),
            "load_before": load_average(), "versions": versions(), "mode": mode}
