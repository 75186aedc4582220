"""Start GenAI Studio: ``python main.py``."""

import sys

from studio.app import main

if __name__ == "__main__":
    sys.exit(main())
