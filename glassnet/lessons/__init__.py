"""glassnet.lessons: a runnable lesson for every concept of the guides, from the first neuron
to deployment.

Each lesson is one Markdown file in ``docs/lessons/`` (``NAME.md``): a title, a comment naming
the concepts it teaches and its place in the path, short explanations, ``>>>`` code that runs
as a doctest, and a "Your turn" exercise. ``glassnet learn`` lists them in order;
``glassnet learn NAME`` prints one, ``--run`` runs its code.

>>> from glassnet import lessons
>>> first = lessons.catalog()[0]
>>> first.name, first.order < 200
('neuron', True)
>>> lessons.find("xor").title
'XOR: why a network needs a hidden layer'
"""

from glassnet.lessons.catalog import (
    Lesson,
    LessonNotFoundError,
    catalog,
    close_matches,
    find,
    lessons_dir,
    parse_lesson,
)
from glassnet.lessons.runner import RunResult, run_lesson
