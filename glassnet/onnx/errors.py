"""The error an export raises for what ONNX (or this exporter) cannot express."""

from __future__ import annotations

from glassnet.errors import GlassnetError


class ExportError(GlassnetError, RuntimeError):
    """An op that cannot be exported: the message names the op and the layer path that ran it.

    >>> str(ExportError("no converter", None))
    'glassnet.onnx.export: no converter'
    """

    def __init__(self, message, node=None):
        self.op = None if node is None else type(node.fn).__name__
        self.path = None if node is None else (node.path or "<model>")
        where = "" if node is None else f"op {self.op} in layer {self.path}: "
        super().__init__(f"glassnet.onnx.export: {where}{message}")
