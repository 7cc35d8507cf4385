"""``python -m csm_academy``: the same command as the ``csm-academy`` console script."""

from __future__ import annotations

import sys

from csm_academy.cli import main

if __name__ == "__main__":
    sys.exit(main())
