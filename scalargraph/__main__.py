"""``python -m scalargraph``: the command line (see :mod:`scalargraph.cli`)."""

import sys

from .cli import main

sys.exit(main())
