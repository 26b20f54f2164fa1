"""How an error names the layer it came from: ``model.2 (Linear(...)): got ...``. Every Module
call an error passes through calls ``_name_failing_layer`` on its way out; kept apart from
``nn.Module`` because it runs only on the failure path.
"""

from __future__ import annotations

__all__ = []


def _name_failing_layer(root, exc):
    """Prefix the error with the failing layer's path in the model, e.g. ``model.2 (Linear)``.

    Every module call the error passes through calls this on its way out, innermost first:
    the innermost records itself as the origin, and each outer one rewrites the original
    message with the origin's path relative to itself, so the outermost call's naming stays.
    """
    origin = getattr(exc, "glassnet_module", None)
    if origin is None:
        exc.glassnet_module = root
        exc.glassnet_message = exc.args
        return
    if origin is root:  # a layer called on its own: its message already names it
        return
    path = None
    for name, module in root.named_modules(prefix="model"):
        if module is origin:
            path = name
            break
    summary = origin._error_label()
    where = f"{path} ({summary})" if path else summary
    original = getattr(exc, "glassnet_message", exc.args)
    message = str(original[0]) if original else ""
    # "Linear(...): got ..." becomes "model.2 (Linear(...)): got ...", not named twice.
    if message.startswith(summary + ": "):
        message = message[len(summary) + 2 :]
    if not message.startswith(where):
        exc.args = (f"{where}: {message}",) + tuple(original[1:])
    else:
        exc.args = original
