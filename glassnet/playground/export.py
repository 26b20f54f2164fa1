"""Export as code: a standalone glassnet script that repeats a session's run exactly.

The script holds this package's ``recipe.py`` source (the very code the session trained
with), the session's settings (a CSV's points written out in full) and its step count, so
running it gives the same data, the same initial weights, the same batches and the same loss.

>>> from glassnet.playground.recipe import DEFAULTS
>>> code = script(dict(DEFAULTS, dataset="xor"), steps=3)
>>> "run.steps(STEPS)" in code and "STEPS = 3" in code
True
"""

from __future__ import annotations

import inspect
import pprint

from glassnet.playground import recipe

_MAIN = """

SETTINGS = {settings}
STEPS = {steps}

if __name__ == "__main__":
    run = PlaygroundRun(SETTINGS)
    run.steps(STEPS)
    train_loss, test_loss = run.losses()
    print(f"steps {{run.step_count}}")
    print(f"train_loss {{train_loss!r}}")
    print(f"test_loss {{test_loss!r}}")
"""


def script(settings: dict, steps: int) -> str:
    """The Python source of a script that trains ``settings`` for ``steps`` steps."""
    source = inspect.getsource(recipe)
    body = source[source.index('"""', 3) + 3 :].lstrip("\n")  # drop the module docstring
    head = (
        '"""A glassnet playground run, exported as code.\n\n'
        f"Data set {settings['dataset']!r}, {settings['problem']}, hidden layers "
        f"{settings['hidden']}, {settings['activation']}, {settings['optimizer']} with "
        f"learning rate {settings['learning_rate']!r}; trained for {steps} steps.\n"
        'Run it with: python this_file.py\n"""\n\n'
    )
    text = pprint.pformat(settings, width=96, sort_dicts=False, compact=True)
    return head + body + _MAIN.format(settings=text, steps=int(steps))
