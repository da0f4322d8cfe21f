"""asv benchmarks of scalargraph's cost claims (see common.py and the README)."""

import sys
from pathlib import Path

try:
    import scalargraph  # noqa: F401
except ImportError:  # a checkout where scalargraph is not installed: use the checkout's copy
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
