"""glassnet.onnx: export a model to ONNX (optional extra ``[onnx]``), checked by onnx.checker.

``export(model, example_inputs, "model.onnx", input_names=..., output_names=...,
dynamic_axes=..., opset_version=...)`` takes ``torch.onnx.export``'s argument names. The graph
is built from the ops one forward runs; ops without a converter raise ``ExportError`` naming
the op and the layer path. Recurrent layers become ONNX's own RNN/LSTM/GRU nodes.
"""

from glassnet.onnx.errors import ExportError
from glassnet.onnx.exporter import DEFAULT_OPSET, export

__all__ = ["export", "ExportError", "DEFAULT_OPSET"]
