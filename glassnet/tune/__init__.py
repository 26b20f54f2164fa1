"""glassnet.tune: hyperparameter search with Optuna (``pip install 'glassnet[tune]'``).

``parse_space`` reads a search space from text, ``run_study`` runs an Optuna study (grid,
random or TPE sampling, median pruning through the ``PruningCallback`` Trainer callback,
SQLite storage so a study resumes), ``write_report`` writes its trials table and plots. The
``glassnet tune RECIPE`` command (glassnet.commands.tune) ties them to a recipe.

>>> parse_space("lr=1e-4..1e-1:log,hidden=32|64")["hidden"].choices
[32, 64]
"""

from glassnet.tune.pruning import PruningCallback
from glassnet.tune.space import Param, parse_space
from glassnet.tune.study import make_sampler, run_study, write_report

__all__ = ["Param", "parse_space", "PruningCallback", "make_sampler", "run_study", "write_report"]
