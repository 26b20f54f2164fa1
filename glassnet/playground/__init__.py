"""glassnet.playground: a browser playground on the real engine (``glassnet playground``).

A FastAPI app (extra ``[playground]``) serves one static page; each browser tab talks to its
own ``Session`` over a WebSocket and watches a glassnet model train live: the decision
boundary, each neuron, the weights, the loss curves, the gradient norms and the doctor's
findings. ``export.script`` turns a session into a standalone script (see docs/playground.md).

>>> from glassnet.playground import Session
>>> s = Session()
>>> s.configure({"dataset": "gauss", "hidden": [2]})
>>> s.train(3); s.run.step_count
3
"""

from glassnet.playground.export import script
from glassnet.playground.presets import preset_url
from glassnet.playground.session import Session
from glassnet.playground.settings import SettingsError, validate


def create_app():
    from glassnet.playground.app import create_app as _create

    return _create()


def serve(host="127.0.0.1", port=8765, log_level="warning"):
    from glassnet.playground.app import serve as _serve

    _serve(host=host, port=port, log_level=log_level)


__all__ = ["Session", "SettingsError", "create_app", "preset_url", "script", "serve", "validate"]
