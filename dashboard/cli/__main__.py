"""``python -m dashboard.cli`` runs ``envmon``."""

import sys

from dashboard.cli import main

sys.exit(main())
