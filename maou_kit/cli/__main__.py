"""`python -m maou_kit.cli ...`: the `maou-kit` command as a module (what `torchrun -m` runs)."""

import sys

from maou_kit.cli import main

sys.exit(main())
