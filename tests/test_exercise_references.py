"""Exercises are numbered per chapter, and the prose refers to them only by label.

sphinx-exercise numbers exercises by chapter ("Exercise 6.2") because the table of contents
numbers the chapters. A number typed into the prose would drift when an exercise is added, and a
label defined in another chapter would send the reader away: every reference to an exercise must
name, by label, an exercise of its own chapter. (The built pages are checked in test_site.py.)
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))

EXERCISE = re.compile(r"^(`{3,}|:{3,})\{exercise\}[^\n]*\n(?::[^\n]*\n)*?:label: *(\S+)", re.M)
REFERENCE = re.compile(r"\{(?:ref|numref)\}`(?:[^`<]*<)?([^`>]+)>?`")
TYPED_NUMBER = re.compile(r"\b[Ee]xercises? \(?\d")
ANSWER_COMMENT = re.compile(r"^# [Ee]xercise (\d+)\.(\d+) \(([^)]+)\)", re.M)


def cells(notebook: Path, kind: str) -> list[str]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == kind]


def exercise_labels(markdown: list[str]) -> list[str]:
    return [m.group(2) for text in markdown for m in EXERCISE.finditer(text)]


def references(markdown: list[str]) -> list[str]:
    return [m.group(1) for text in markdown for m in REFERENCE.finditer(text)]


def chapter_number(notebook: Path) -> int:
    return int(notebook.name[:2])


ALL_LABELS = {label: nb for nb in CHAPTERS for label in exercise_labels(cells(nb, "markdown"))}


def test_the_parsers_find_what_they_should():
    text = ["````{exercise}\n:label: ch9-a\n\nText\n````\n",
            ":::{exercise}\n:class: dropdown\n:label: ch9-b\n:::\n",
            "See {ref}`ch9-a`, {numref}`Exercise %s <ch9-b>` and {ref}`sec-x`."]
    assert exercise_labels(text) == ["ch9-a", "ch9-b"]
    assert references(text) == ["ch9-a", "ch9-b", "sec-x"]
    assert TYPED_NUMBER.search("as in exercise 3 above") and TYPED_NUMBER.search("(Exercise 6.2)")
    assert not TYPED_NUMBER.search("the exercises below")


def test_every_chapter_has_exercises_with_unique_labels():
    for notebook in CHAPTERS:
        labels = exercise_labels(cells(notebook, "markdown"))
        assert labels, f"{notebook.name} has no labelled exercise"
        assert len(labels) == len(set(labels)), f"{notebook.name} repeats an exercise label"
    every = [label for nb in CHAPTERS for label in exercise_labels(cells(nb, "markdown"))]
    assert len(every) == len(set(every)), "two chapters share an exercise label"


@pytest.mark.parametrize("notebook", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_exercise_references_stay_in_their_chapter(notebook):
    markdown = cells(notebook, "markdown")
    for label in references(markdown):
        if label in ALL_LABELS:
            assert ALL_LABELS[label] == notebook, (
                f"{notebook.name} refers to exercise {label!r} of {ALL_LABELS[label].name}")


@pytest.mark.parametrize("notebook", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_no_exercise_number_is_typed_by_hand(notebook):
    for text in cells(notebook, "markdown"):
        match = TYPED_NUMBER.search(text)
        assert not match, (f"{notebook.name}: {text[max(0, match.start() - 40):match.end() + 20]!r}"
                           " types an exercise number; refer to it by {ref}`label`")


@pytest.mark.parametrize("notebook", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_answer_cells_name_their_exercise_by_number_and_label(notebook):
    labels = exercise_labels(cells(notebook, "markdown"))
    for code in cells(notebook, "code"):
        for chapter, k, label in ANSWER_COMMENT.findall(code):
            assert int(chapter) == chapter_number(notebook), (
                f"{notebook.name}: answer to {label} numbered as chapter {chapter}'s")
            assert labels[int(k) - 1] == label, (
                f"{notebook.name}: Exercise {chapter}.{k} is {labels[int(k) - 1]!r}, not {label!r}")
        first_line = code.split("\n", 1)[0]
        if TYPED_NUMBER.search(first_line) and first_line.startswith("#"):
            assert ANSWER_COMMENT.match(first_line), (
                f"{notebook.name}: {first_line!r} should read '# Exercise N.k (label): ...'")
