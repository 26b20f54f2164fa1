"""Addresses that open the playground page on given settings (for lessons and links).

The page reads its settings from the query string; a setting left out keeps the page's default.
A value the server cannot use still reaches it and gets its message in the page.

>>> preset_url(dataset="xor", hidden=[4, 2], activation="relu", batch_norm=True)
'http://127.0.0.1:8765/?dataset=xor&hidden=4%2C2&activation=relu&batch_norm=true'
"""

from __future__ import annotations

from urllib.parse import urlencode

from glassnet.playground.recipe import DEFAULTS


def preset_url(host: str = "127.0.0.1", port: int = 8765, **settings) -> str:
    """The page's address with ``settings`` (names as in ``recipe.DEFAULTS``) in its query."""
    unknown = sorted(set(settings) - set(DEFAULTS) - {"points"})
    if unknown or "points" in settings:
        raise ValueError(
            f"preset_url: unknown setting(s) {unknown or ['points']}; known: "
            f"{sorted(k for k in DEFAULTS if k != 'points')}"
        )
    query = {}
    for key, value in settings.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        query[key] = value
    return f"http://{host}:{port}/" + (f"?{urlencode(query)}" if query else "")
