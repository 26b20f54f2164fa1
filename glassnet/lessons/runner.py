"""Run a lesson's ``>>>`` code blocks as doctests and say which passed."""

from __future__ import annotations

import dataclasses
import doctest
import io

_FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


@dataclasses.dataclass
class RunResult:
    """How a lesson's examples went: ``attempted`` and ``failed`` counts, and the report of the
    failures (doctest's own text: the example, what was expected, what came out)."""

    name: str
    attempted: int
    failed: int
    report: str

    @property
    def passed(self) -> bool:
        return self.failed == 0 and self.attempted > 0


def run_lesson(lesson) -> RunResult:
    """Run every example of ``lesson`` (a Lesson) in one fresh namespace, as pytest does."""
    parser = doctest.DocTestParser()
    test = parser.get_doctest(
        lesson.text, {"__name__": "__lesson__"}, lesson.name, str(lesson.path), 0
    )
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=_FLAGS)
    result = runner.run(test, out=out.write)
    return RunResult(lesson.name, result.attempted, result.failed, out.getvalue())
