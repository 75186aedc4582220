"""``python -m studio.cli``."""

import sys

from studio.cli import run

sys.exit(run())
