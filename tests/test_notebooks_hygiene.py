"""Notebooks are reviewable: no outputs, nbgrader metadata kept, one template, graded cells sound."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import nbtools

COURSE = sorted((nbtools.REPO / "course").glob("*.ipynb"))
EXERCISES = sorted(nbtools.EXERCISES.glob("*/*.ipynb"))
ALL = COURSE + EXERCISES


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def _markdown(nb: dict) -> str:
    return "\n".join(nbtools.source(c) for c in nb["cells"] if c["cell_type"] == "markdown")


def test_there_is_a_start_page_and_a_notebook_per_module():
    names = {p.name for p in COURSE}
    assert {"00_start_here.ipynb", "01_nrr_math.ipynb"} <= names
    assert {p.parent.name for p in EXERCISES} >= {"01_nrr_math"}


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_notebook_is_committed_without_outputs(path: Path):
    nb = nbtools.load(path)
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, nbtools.source(cell)[:60]
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_notebook_follows_the_template(path: Path):
    text = _markdown(nbtools.load(path))
    assert text.lstrip().startswith("# ")
    order = ["Learning objectives", "Reflection"]
    if path.name != "00_start_here.ipynb":
        order = ["Learning objectives", "Business scenario", "data", "Reflection"]
    positions = [text.lower().find(h.lower()) for h in order]
    assert all(p >= 0 for p in positions), dict(zip(order, positions, strict=True))
    assert positions == sorted(positions)


@pytest.mark.parametrize("path", EXERCISES, ids=_ids(EXERCISES))
def test_exercise_cells_carry_nbgrader_metadata_and_points(path: Path):
    nb = nbtools.load(path)
    grade_ids = [nbtools.nbgrader_meta(c).get("grade_id") for c in nb["cells"] if nbtools.nbgrader_meta(c)]
    assert len(grade_ids) == len(set(grade_ids)), "grade_ids must be unique"
    tests = [c for c in nb["cells"] if nbtools.nbgrader_meta(c).get("grade") and c["cell_type"] == "code"]
    assert len(tests) >= 6
    for cell in tests:
        meta = nbtools.nbgrader_meta(cell)
        assert meta["locked"] and meta["points"] > 0
        src = nbtools.source(cell)
        assert "### BEGIN HIDDEN TESTS" in src and "### END HIDDEN TESTS" in src
    answers = nbtools.answer_cells(nb)
    assert set(answers) == {nbtools.nbgrader_meta(c)["grade_id"] for c in tests}
    for cell in answers.values():
        assert "### BEGIN SOLUTION" in nbtools.source(cell)


@pytest.mark.parametrize("path", EXERCISES, ids=_ids(EXERCISES))
def test_every_task_states_its_points(path: Path):
    nb = nbtools.load(path)
    points = {
        nbtools.nbgrader_meta(c)["grade_id"]: nbtools.nbgrader_meta(c)["points"]
        for c in nb["cells"]
        if nbtools.nbgrader_meta(c).get("grade")
    }
    text = _markdown(nb)
    for qid, p in points.items():
        task = next(nbtools.source(c) for c in nb["cells"] if nbtools.nbgrader_meta(c).get("grade_id") == f"{qid}-task")
        assert f"({p:g} points)" in task or f"({p:g} point)" in task
    assert f"{sum(points.values()):g} points" in text


def test_exercise_book_comes_from_one_call_in_a_locked_cell():
    for path in EXERCISES:
        nb = nbtools.load(path)
        setup = [c for c in nb["cells"] if "exercise()" in nbtools.source(c)]
        assert len(setup) == 1 and nbtools.nbgrader_meta(setup[0]).get("locked")


def _written_answers(nb: dict) -> list[dict]:
    """Manually graded written answers: markdown cells that are both a grade and a solution cell."""
    return [
        c
        for c in nb["cells"]
        if c["cell_type"] == "markdown"
        and nbtools.nbgrader_meta(c).get("grade")
        and nbtools.nbgrader_meta(c).get("solution")
    ]


@pytest.mark.parametrize("path", EXERCISES, ids=_ids(EXERCISES))
def test_every_graded_cell_is_a_locked_check_or_a_written_answer(path: Path):
    """Points come from locked code checks, or from markdown answers an instructor grades by hand."""
    for cell in nbtools.load(path)["cells"]:
        meta = nbtools.nbgrader_meta(cell)
        if not meta.get("grade"):
            continue
        if cell["cell_type"] == "code":
            assert meta["locked"] and not meta.get("solution"), meta["grade_id"]
        else:
            assert cell["cell_type"] == "markdown" and meta.get("solution"), meta["grade_id"]


@pytest.mark.parametrize("path", EXERCISES, ids=_ids(EXERCISES))
def test_written_answers_carry_points_and_a_rubric_nbgrader_removes(path: Path):
    nb = nbtools.load(path)
    ids = [nbtools.nbgrader_meta(c).get("grade_id") for c in nb["cells"]]
    for cell in _written_answers(nb):
        meta = nbtools.nbgrader_meta(cell)
        assert not meta["locked"] and meta["points"] > 0, meta["grade_id"]
        # The rubric sits inside the solution region, which the release replaces with "YOUR ANSWER HERE".
        src = nbtools.source(cell).strip().splitlines()
        assert src[0] == "### BEGIN SOLUTION" and src[-1] == "### END SOLUTION", meta["grade_id"]
        assert "rubric" in nbtools.source(cell).lower()
        assert f"{meta['grade_id']}-task" in ids
