"""glassnet.data.profile: the data report of your own file or image folder (``glassnet data
FILE``), before training and as a section of every ``--data`` run's report.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "d.csv")
>>> _ = open(path, "w").write("size,kind\\n1,a\\n2,b\\n3,a\\n")
>>> data_report(path, target="kind").profile["class_balance"]
{'a': 2, 'b': 1}
"""

from glassnet.data.profile.analysis import correlation_ratio, cramers_v, pearson, profile_table
from glassnet.data.profile.report import DataReport, data_report

__all__ = [
    "DataReport",
    "correlation_ratio",
    "cramers_v",
    "data_report",
    "pearson",
    "profile_table",
]
