# These are PyTorch scripts that tests/test_torch_programs.py runs as subprocesses; pytest's
# --doctest-modules must not import them (they would train at import time on some frameworks).
collect_ignore_glob = ["*.py"]
