"""Importing glassnet leaves the process's allocator alone (issue 17); the commands, which own
their process, opt in to glassnet.backend.keep_freed_memory, and a script can too."""

import os
import platform
import subprocess
import sys

import pytest

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


def _tuned_after(code, keep=None):
    env = {k: v for k, v in os.environ.items() if k != "GLASSNET_KEEP_FREED_MEMORY"}
    if keep is not None:
        env["GLASSNET_KEEP_FREED_MEMORY"] = keep
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return out.stdout.strip().splitlines()[-1]


def test_importing_glassnet_does_not_change_the_allocator():
    assert _tuned_after("import glassnet.backend as b; print(b.malloc_tuned)") == "False"


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's; elsewhere there is nothing to tune")
def test_the_opt_ins_take_effect():
    code = "import glassnet.backend as b; print(b.malloc_tuned)"
    assert _tuned_after(code, keep="1") == "True"
    code = "import glassnet.backend as b; print(b.keep_freed_memory(), b.malloc_tuned)"
    assert _tuned_after(code) == "True True"
    command = (
        "import sys; sys.argv = ['glassnet', 'recipes']\n"
        "from glassnet.cli import console_main\n"
        "try:\n    console_main()\nexcept SystemExit:\n    pass\n"
        "import glassnet.backend as b; print(b.malloc_tuned)"
    )
    assert _tuned_after(command) == "True"
    assert _tuned_after(command, keep="0") == "False"
