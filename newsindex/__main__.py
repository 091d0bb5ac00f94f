"""``python -m newsindex``: the ``newsindex`` command (see :mod:`newsindex.cli`)."""

import sys

from newsindex.cli import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
