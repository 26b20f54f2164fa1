"""Training programs for the Transformer families (``glassnet train bert-mlm`` and friends):
each module has ``run(run_dir, *, epochs=None, seed=0, progress=True) -> dict`` that trains on
bundled data, writes report.md, pictures and weights into ``run_dir`` and returns the test
metrics. They are listed in ``glassnet.recipes.programs``."""
