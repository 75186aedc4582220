"""``python -m studio`` starts the app."""

import sys

from studio.app import main

sys.exit(main())
