"""``bfloat16``: the 16-bit float with float32's exponent and an 8-bit mantissa (7 stored bits).

NumPy has no bfloat16; ``ml_dtypes`` (the ``[amp]`` extra) adds it as a NumPy dtype, and
glassnet uses that dtype for ``glassnet.bfloat16`` tensors.

>>> import numpy as np
>>> float(np.float32(1 + 2**-9).astype(bfloat16))  # 2**-9 is below bfloat16's resolution at 1
1.0
"""

from __future__ import annotations

import numpy as np

from glassnet._optional import require

bfloat16 = np.dtype(require("ml_dtypes", "amp").bfloat16)

# The spacing of bfloat16 numbers at 1.0: 8 significant bits, so 2**-7 (half of it is the
# largest relative rounding error).
EPS = 2.0**-7
