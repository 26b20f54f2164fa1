"""``python -m glassnet``: the same as the ``glassnet`` command (see glassnet.cli)."""

from glassnet.cli import console_main

if __name__ == "__main__":
    console_main()
