"""``python -m glassnet.as_torch script.py [args]``."""

import sys

from glassnet.as_torch import main

sys.exit(main())
