"""``python -m comparisons`` is the ``backprop-lab`` command."""

import sys

from comparisons.cli import main

sys.exit(main())
