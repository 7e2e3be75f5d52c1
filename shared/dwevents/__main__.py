"""``python -m dwevents`` = the ``dwevents`` command."""

import sys

from dwevents.cli import main

sys.exit(main())
