"""Speed measurements against PyTorch and NumPy, run as ``python -m benchmarks.<name>``."""
