"""``python -m jxc_rules`` runs the command line."""

import sys

from jxc_rules.cli import main

sys.exit(main())
