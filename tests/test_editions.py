"""The committed student editions are what nbgrader's generate_assignment makes of the sources, and hold no solution.

The slow tests run real nbgrader twice: its command line with the repository's autograder/nbgrader_config.py
(as an instructor would), and in-process as `csm-academy editions` does.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest

from csm_academy.content import exercise_sources, student_edition, student_editions
from csm_academy.workspace.editions import (
    edition_differences,
    generate_editions,
    notebook_differences,
    source_assignments,
)
from csm_academy.workspace.files import SOLUTION_MARKERS
from tests import nbtools

ASSIGNMENTS = sorted(p.name for p in exercise_sources().iterdir() if p.is_dir())


def _what_nbgrader_keeps(nb: dict) -> list[tuple[str, str, dict]]:
    """Each cell as a trainee and nbgrader read it: its type, its source and its nbgrader metadata."""
    return [(c["cell_type"], nbtools.source(c), nbtools.nbgrader_meta(c)) for c in nb["cells"]]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> dict[str, Path]:
    """Every edition as `csm-academy editions` makes it now (nbgrader in-process, the course's own config)."""
    return generate_editions(tmp_path_factory.mktemp("editions"))


def test_every_exercise_has_a_student_edition_and_nothing_else_does():
    assert ASSIGNMENTS and source_assignments() == ASSIGNMENTS
    assert sorted(p.name for p in student_editions().iterdir() if p.is_dir()) == ASSIGNMENTS


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_student_edition_holds_a_solution_or_hidden_tests(assignment):
    text = student_edition(assignment).read_text()
    assert [m for m in SOLUTION_MARKERS if m in text] == []


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_student_edition_is_what_the_nbgrader_command_makes_of_its_source(tmp_path, assignment):
    released = nbtools.new_course(tmp_path, assignment)  # `nbgrader generate_assignment`, autograder's config
    committed = nbtools.load(student_edition(assignment))
    assert _what_nbgrader_keeps(committed) == _what_nbgrader_keeps(released), "run: csm-academy editions"


@pytest.mark.slow
def test_csm_academy_editions_makes_what_is_committed(fresh):
    assert sorted(fresh) == ASSIGNMENTS
    for assignment, made in fresh.items():
        assert _what_nbgrader_keeps(nbtools.load(made)) == _what_nbgrader_keeps(
            nbtools.load(student_edition(assignment))
        )
    assert edition_differences(fresh, student_editions()) == []


@pytest.mark.slow
def test_the_check_names_an_edition_left_behind_by_an_edited_source_a_missing_one_and_a_stray_one(fresh, tmp_path):
    shutil.copytree(student_editions(), tmp_path / "student")
    edited = tmp_path / "student" / ASSIGNMENTS[0] / f"{ASSIGNMENTS[0]}.ipynb"
    nb = json.loads(edited.read_text())
    nb["cells"][0]["source"] = "# An older title\n"  # the source's title changed, the edition was not made again
    edited.write_text(json.dumps(nb))
    shutil.rmtree(tmp_path / "student" / ASSIGNMENTS[1])
    (tmp_path / "student" / "99_retired").mkdir()
    found = edition_differences(fresh, tmp_path / "student")
    assert found == [
        f"{ASSIGNMENTS[0]}: intro: its source differs",
        f"{ASSIGNMENTS[1]}: no student edition",
        "99_retired: a student edition without a source",
    ]


def _edition() -> dict:
    return nbtools.load(student_edition(ASSIGNMENTS[0]))


def test_notebook_differences_finds_nothing_between_an_edition_and_itself():
    assert notebook_differences(_edition(), _edition()) == []


def test_notebook_differences_names_a_cell_whose_nbgrader_metadata_changed():
    changed = copy.deepcopy(_edition())
    cell = next(c for c in changed["cells"] if nbtools.nbgrader_meta(c).get("points"))
    cell["metadata"]["nbgrader"]["points"] += 1
    assert notebook_differences(_edition(), changed) == [
        f"{cell['metadata']['nbgrader']['grade_id']}: its nbgrader metadata differs"
    ]


def test_notebook_differences_names_a_cell_added_or_of_another_type():
    longer = copy.deepcopy(_edition())
    longer["cells"].append({"cell_type": "code", "source": "", "metadata": {}})
    assert notebook_differences(_edition(), longer) == [
        f"{len(longer['cells'])} cells where nbgrader makes {len(longer['cells']) - 1}"
    ]
    retyped = copy.deepcopy(_edition())
    retyped["cells"][0]["cell_type"] = "raw"
    assert notebook_differences(_edition(), retyped) == ["intro: a raw cell where nbgrader makes a markdown cell"]
