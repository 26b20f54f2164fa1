"""glassnet.viz: pictures a learner would rather look at than read (matplotlib, the [viz] extra).

Each plot helper lives in its own module and takes arrays or models, writes a PNG and returns its
path; matplotlib is imported only when a picture is drawn.
"""
