"""``python -m scalargraph.bench``: the cost report (see :mod:`scalargraph.bench.report`)."""

import sys

from .report import main

sys.exit(main())
