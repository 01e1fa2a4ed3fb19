"""``python -m comparisons`` is the ``backprop-lab`` command."""

import sys

from comparisons.cli.main import main

sys.exit(main())
