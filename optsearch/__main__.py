"""`python -m optsearch ARGS` is `optsearch ARGS`."""

import sys

from optsearch.cli import main

sys.exit(main())
