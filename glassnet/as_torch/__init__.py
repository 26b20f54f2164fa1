"""Run an unmodified PyTorch script on glassnet: ``glassnet as-torch script.py [args]``.

``import torch`` (and ``torch.nn``, ``torch.utils.data``, ``torchvision.transforms``, ...) then
means glassnet, so a learner can take a tutorial and step into its layers with a debugger. At
the end the run prints the torch names the script reached for that glassnet lacks.

>>> import pathlib, tempfile
>>> script = pathlib.Path(tempfile.mkdtemp()) / "tiny.py"
>>> _ = script.write_text("import torch\\nprint(torch.ones(2).sum().item())\\n")
>>> run_script(str(script), [])
2.0
[]
"""

from __future__ import annotations

import os
import runpy
import sys
import traceback

from glassnet.as_torch.aliases import TorchAliases, glassnet_name


def run_script(path: str, args: list[str], aliases: TorchAliases | None = None) -> list[str]:
    """Run the script at ``path`` with ``sys.argv = [path, *args]`` and torch resolved to
    glassnet; returns the missing torch names it used (``aliases.missing`` has them also when
    the script fails)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"as-torch: no script at {path!r}")
    aliases = aliases if aliases is not None else TorchAliases()
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [path, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    aliases.install()
    try:
        runpy.run_path(path, run_name="__main__")
    finally:
        aliases.uninstall()
        sys.argv, sys.path[:] = saved_argv, saved_path
    return aliases.missing


def report_missing(missing: list[str], stream=None) -> None:
    """Print the torch names the script used that glassnet lacks (nothing when none)."""
    stream = stream or sys.stderr
    if missing:
        print(
            f"as-torch: the script used {len(missing)} torch name(s) glassnet does not have: "
            + ", ".join(missing),
            file=stream,
        )


def main(argv=None) -> int:
    """``python -m glassnet.as_torch script.py [args]``; the exit code is the script's."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: glassnet as-torch SCRIPT.py [ARGS...]\n\n" + __doc__.split("\n\n")[1])
        return 0 if argv else 2
    if not os.path.isfile(argv[0]):
        print(f"as-torch: no script at {argv[0]!r}", file=sys.stderr)
        return 2
    aliases = TorchAliases()
    code = 0
    try:
        run_script(argv[0], argv[1:], aliases)
    except SystemExit as exc:  # the script's own sys.exit()
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # the script failed: show its traceback, then what was missing
        traceback.print_exc()
        code = 1
    finally:
        report_missing(aliases.missing)
    return code


__all__ = ["TorchAliases", "glassnet_name", "main", "report_missing", "run_script"]
