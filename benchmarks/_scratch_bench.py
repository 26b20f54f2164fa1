# temporary scratch for a device measurement; deleted afterwards
import glassnet  # noqa
exec(open('benchmarks/_scratch_patch.py').read())
from benchmarks import overhead
overhead.run()
