"""The ``glassnet`` subcommands that live outside ``glassnet/cli.py``, one module each.

A module here holds one command's thin wiring (arguments, printing, exit codes) around a
capability that lives in its own package (``glassnet.doctor``, ``glassnet.serve``, ...). It
exposes ``register(app)``, which adds its command(s) to the typer app; ``glassnet.cli`` calls
``register`` for every name in ``COMMANDS``, in order.

>>> all(isinstance(name, str) for name in COMMANDS)
True
"""

# Add a module name here to add its commands to the ``glassnet`` command line.
COMMANDS: tuple[str, ...] = (
    "train",
    "runs",
    "data",
    "export",
    "serve",
    "doctor",
    "tune",
    "run",
    "learn",
    "playground",
)
