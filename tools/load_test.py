"""Load test of the cost report: the same verdicts on a quiet and on a busy machine.

Runs ``python -m scalargraph.bench`` (default sizes) twice, once as the machine is and once
with one core kept busy by ``tools/spin.py`` (started here, stopped here, and bounded in
time by itself), and the timing line of ``examples/domke.py`` both ways. Writes the two
verdict tables side by side to OUT/load-test.md and exits 1 if a verdict flipped between
matches and differs (inconclusive is allowed) or domke's sentence contradicts its numbers.

Run: python tools/load_test.py [--out load-test-out] [--quick]   (about 4 minutes on 2 cores)
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from scalargraph.bench.compare import markdown  # noqa: E402


def _env():
    return dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def report(out, quick):
    cmd = [sys.executable, "-m", "scalargraph.bench", "--out", str(out), "--no-plots"]
    subprocess.run(cmd + (["--quick"] if quick else []), cwd=ROOT, env=_env(), check=True,
                   stdout=subprocess.DEVNULL)
    return json.loads((out / "results.json").read_text())


def domke():
    """domke.py's timing lines: (the times line, the sentence, jvp/gradient value, lo, hi)."""
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "domke.py"), "--no-plot"],
                         cwd=ROOT, env=_env(), check=True, capture_output=True, text=True).stdout
    lines = out.splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("Time per call"))
    m = re.search(r"jvp / gradient = ([\d.]+) \(95% interval ([\d.]+)-([\d.]+)\)", lines[i + 1])
    return lines[i], lines[i + 1].strip(), *(float(g) for g in m.groups())


def consistent(sentence, value, lo, hi, same=1.5):
    """Does domke's sentence say what its interval says?"""
    if 1 / same <= lo and hi <= same:
        return "about the same" in sentence
    if hi < 1 / same or lo > same:
        return "faster here" in sentence
    return "too noisy" in sentence


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default="load-test-out")
    p.add_argument("--quick", action="store_true", help="quick-size reports (a dry run)")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print("quiet run ...", flush=True)
    quiet, d_quiet = report(out / "quiet", args.quick), domke()
    print("busy run (one core spinning) ...", flush=True)
    spinner = subprocess.Popen([sys.executable, str(ROOT / "tools" / "spin.py"), "1200"])
    try:
        time.sleep(1.0)
        busy, d_busy = report(out / "busy", args.quick), domke()
    finally:
        spinner.terminate()
        spinner.wait(timeout=30)
    table, flips = markdown(quiet, busy)
    ok_domke = [consistent(*d[1:]) for d in (d_quiet, d_busy)]
    text = ["# Load test of the cost report", "", table, "", "## examples/domke.py timing line",
            ""]
    for name, d, ok in zip(("quiet", "busy"), (d_quiet, d_busy), ok_domke):
        text += [f"- {name}: {d[0]}", f"  {d[1]}",
                 f"  (sentence {'agrees with' if ok else 'CONTRADICTS'} its interval)"]
    (out / "load-test.md").write_text("\n".join(text) + "\n")
    print("\n".join(text))
    return 1 if flips or not all(ok_domke) else 0


if __name__ == "__main__":
    sys.exit(main())
