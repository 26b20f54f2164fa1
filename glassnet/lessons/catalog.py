"""The lesson catalog: find ``docs/lessons/*.md``, read each one's title, concepts and order.

Where the files are: the ``docs/lessons`` folder next to the ``glassnet`` package in a source
checkout (an editable install, ``pip install -e .``, is one), or the folder named by the
``GLASSNET_LESSONS_DIR`` environment variable. The lessons stay in one place, under ``docs/``,
so ``pytest docs`` runs them as doctests; they are not copied into the package.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
from pathlib import Path

from glassnet.errors import GlassnetError

# Line 2 of every lesson: <!-- concepts: a, b, c; order: 103 -->
_HEADER = re.compile(r"<!--\s*concepts:\s*(?P<concepts>.*?);\s*order:\s*(?P<order>\d+)\s*-->")


class LessonNotFoundError(GlassnetError, LookupError):
    """No lesson has the name asked for; the message lists the close matches."""


@dataclasses.dataclass(frozen=True)
class Lesson:
    """One lesson file: ``name`` (file stem), ``title``, ``concepts`` (CONCEPTS.md names),
    ``order`` (section * 100 + position), ``path`` and ``text``."""

    name: str
    title: str
    concepts: tuple[str, ...]
    order: int
    path: Path
    text: str

    @property
    def section(self) -> int:
        return self.order // 100

    @property
    def summary(self) -> str:
        """The first sentence of the first paragraph after the header: the list's one line."""
        for block in re.split(r"\n\s*\n", self.text.split("\n", 2)[-1]):
            block = " ".join(block.split())
            if block and not block.startswith(("#", "<!--", "```", ">>>", "|")):
                sentence = re.split(r"(?<=[.!?])\s", block, maxsplit=1)[0]
                return sentence if len(sentence) <= 110 else sentence[:107] + "..."
        return self.title


def lessons_dir() -> Path:
    """The folder holding the lesson files (``GLASSNET_LESSONS_DIR`` wins when set)."""
    override = os.environ.get("GLASSNET_LESSONS_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "docs" / "lessons"


def parse_lesson(path) -> Lesson:
    """Read one lesson file; a file without the title line or the concepts comment is an error
    that names the file and the line expected."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if len(lines) < 2 or not lines[0].startswith("# "):
        raise ValueError(f"lesson {path.name}: line 1 must be the title, '# Title'")
    match = _HEADER.fullmatch(lines[1].strip())
    if not match:
        raise ValueError(
            f"lesson {path.name}: line 2 must be '<!-- concepts: name, name; order: N -->', "
            f"got {lines[1]!r}"
        )
    concepts = tuple(c.strip() for c in match["concepts"].split(",") if c.strip())
    return Lesson(path.stem, lines[0][2:].strip(), concepts, int(match["order"]), path, text)


def catalog(folder=None) -> list[Lesson]:
    """Every lesson, in path order (by ``order``, then name). README.md is the index, not a
    lesson."""
    folder = Path(folder) if folder is not None else lessons_dir()
    if not folder.is_dir():
        raise FileNotFoundError(
            f"no lessons folder at {folder}: the lessons ship in docs/lessons of a source "
            "checkout (pip install -e .); or set GLASSNET_LESSONS_DIR to that folder"
        )
    found = [parse_lesson(p) for p in sorted(folder.glob("*.md")) if p.name != "README.md"]
    return sorted(found, key=lambda lesson: (lesson.order, lesson.name))


def close_matches(name: str, lessons=None) -> list[str]:
    """Lesson names that look like ``name`` (a typo, a prefix, or a concept it teaches)."""
    lessons = catalog() if lessons is None else lessons
    names = [lesson.name for lesson in lessons]
    key = name.lower().replace(" ", "-").replace("_", "-")
    found = difflib.get_close_matches(key, names, n=5, cutoff=0.6)
    found += [n for n in names if key and key in n and n not in found]
    found += [
        lesson.name
        for lesson in lessons
        if lesson.name not in found
        and any(key == c.lower().replace(" ", "-") for c in lesson.concepts)
    ]
    return found[:5]


def find(name: str, lessons=None) -> Lesson:
    """The lesson called ``name``; otherwise LessonNotFoundError naming the close matches."""
    lessons = catalog() if lessons is None else lessons
    for lesson in lessons:
        if lesson.name == name:
            return lesson
    near = close_matches(name, lessons)
    hint = f" Did you mean: {', '.join(near)}?" if near else ""
    raise LessonNotFoundError(
        f"no lesson named {name!r}.{hint} Run 'glassnet learn' to list all {len(lessons)}."
    )
