"""``python -m cli`` runs ``envmon``."""

import sys

from cli import main

sys.exit(main())
