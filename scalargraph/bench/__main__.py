"""``python -m scalargraph.bench``: the cost report (see :mod:`scalargraph.bench.report`)."""

import sys

from .report import main

result = main()
sys.exit(result if isinstance(result, int) else 0)
