"""``glassnet learn``: the lessons, in order from the first neuron to deployment.

::

    glassnet learn                 every lesson, in order, with a one-line summary
    glassnet learn xor             print the lesson (rich's Markdown rendering when installed)
    glassnet learn xor --run       run its code blocks and say whether they pass
    glassnet learn xor --open      start the playground on the lesson's set-up (where it has one)
"""

# No `from __future__ import annotations`: typer reads the annotations at run time.
import importlib.util
from typing import Annotated


def open_in_playground(lesson, echo, port: int = 8765) -> int:
    """Start the playground (glassnet.playground) on ``lesson``'s preset and open a browser tab
    there; a lesson without a preset gets a message naming the ones that have one (exit 2)."""
    import sys

    from glassnet.lessons.playground_presets import PRESETS, playground_url

    if lesson.name not in PRESETS:
        print(
            f"glassnet: error: the lesson {lesson.name!r} has no playground set-up; these do: "
            f"{', '.join(sorted(PRESETS))}. Read it here, or run its code with --run.",
            file=sys.stderr,
        )
        return 2
    from glassnet._optional import require

    require("fastapi", "playground")
    require("uvicorn", "playground")
    import glassnet.playground
    from glassnet.commands.playground import _open_later

    url = playground_url(lesson.name, port=port)
    echo(f"{lesson.name} in the playground: {url} (Ctrl+C stops it)")
    _open_later(url)
    glassnet.playground.serve(port=port)
    return 0


def listing(lessons) -> str:
    """The catalog as text: one line per lesson, grouped by section."""
    lines, section = [], None
    width = max(len(lesson.name) for lesson in lessons)
    for lesson in lessons:
        if lesson.section != section:
            section = lesson.section
            lines.append("" if not lines else "")
            lines.append(f"{section}. {SECTIONS.get(section, '')}".rstrip())
        lines.append(f"  {lesson.name:<{width}}  {lesson.summary}")
    lines.append("")
    lines.append("glassnet learn NAME shows one; add --run to run its code.")
    return "\n".join(lines).lstrip("\n")


SECTIONS = {
    1: "The neuron and the network",
    2: "Learning",
    3: "Activations",
    4: "Problems and their remedies",
    5: "Data",
    6: "Evaluation",
    7: "Architectures",
    8: "Workflow and tools",
    9: "Also in the guides",
}


def show(lesson, plain=False) -> None:
    """Print the lesson: rich's Markdown rendering when rich is installed, the text otherwise."""
    if not plain and importlib.util.find_spec("rich") is not None:
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(lesson.text))
    else:
        print(lesson.text, flush=True)


def register(app):
    import typer

    from glassnet.cli import _echo, _errors, _ReportedError

    @app.command("learn")
    def learn_command(
        name: Annotated[str | None, typer.Argument(help="a lesson name; none lists them")] = None,
        run: Annotated[bool, typer.Option("--run", help="run the lesson's code")] = False,
        open_: Annotated[
            bool, typer.Option("--open", help="open its set-up in the playground")
        ] = False,
        plain: Annotated[bool, typer.Option("--plain", help="plain text, no rich")] = False,
    ):
        """The lessons: list them, print one, run its code."""
        code = 0
        with _errors():
            code = _learn(name, run, open_, plain, _echo)
        if code:
            raise _ReportedError(code)


def _learn(name, run, open_, plain, echo) -> int:
    """The command's work; returns the exit code (2: no such lesson, or no playground set-up
    for it; 1: the lesson's code failed)."""
    import sys

    from glassnet import lessons

    everything = lessons.catalog()
    if name is None:
        echo(listing(everything))
        return 0
    try:
        lesson = lessons.find(name, everything)
    except lessons.LessonNotFoundError as exc:
        print(f"glassnet: error: {exc}", file=sys.stderr)
        return 2
    if open_:
        return open_in_playground(lesson, echo)
    if not run:
        show(lesson, plain)
        echo(f"\nRun its code: glassnet learn {lesson.name} --run")
        return 0
    result = lessons.run_lesson(lesson)
    if result.passed:
        echo(f"{lesson.name}: all {result.attempted} examples pass")
        return 0
    echo(result.report)
    echo(f"{lesson.name}: {result.failed} of {result.attempted} examples failed")
    return 1
