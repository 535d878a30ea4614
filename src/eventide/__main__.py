"""``python -m eventide``: the same command line as the ``eventide`` script."""

import sys

from .cli import main

sys.exit(main())
