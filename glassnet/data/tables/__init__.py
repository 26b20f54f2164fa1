"""Tables from your own files: read a CSV/TSV (delimiter sniffed) or Parquet file into a
``Table`` of typed columns, infer each column's kind (numeric, categorical, boolean, date,
text, id) and the task a target column asks for.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "houses.csv")
>>> _ = open(path, "w").write("rooms;city;price\\n3;Oslo;250\\n2;Bergen;180\\n4;Oslo;410\\n")
>>> t = read_table(path)
>>> t.columns, t.kinds["city"], t.n_rows
(['rooms', 'city', 'price'], 'categorical', 3)
>>> infer_task(t, "price")
'regression'
"""

from glassnet.data.tables.read import DataFileError, TableError, read_table
from glassnet.data.tables.table import Table
from glassnet.data.tables.types import KINDS, infer_kind, infer_task

__all__ = [
    "DataFileError",
    "KINDS",
    "Table",
    "TableError",
    "infer_kind",
    "infer_task",
    "read_table",
]
