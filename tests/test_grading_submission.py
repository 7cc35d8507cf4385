"""Reading a submission and restoring the instructor's cells, on a release made by nbgrader itself (no kernels)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from csm_academy.grading.gradebook import generate_assignment
from csm_academy.grading.layout import CourseLayout
from csm_academy.grading.submission import MAX_NOTEBOOK_BYTES, Unreadable, check_and_restore, sha256_of
from tests import nbtools

A = "01_nrr_math"
NB = f"{A}.ipynb"


def released_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A course with ``A`` released by nbgrader into its SQLite gradebook, made once per test session.

    Read it, or copy it before writing to it: the grading test modules share it.
    """
    course = tmp_path_factory.getbasetemp() / "released-course" / "course"
    if not (course / "release" / A / NB).exists():
        shutil.rmtree(course.parent, ignore_errors=True)
        course.mkdir(parents=True)
        (course / "source").symlink_to(nbtools.EXERCISES)
        generate_assignment(CourseLayout(course), A)
    return course


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode, dict]:
    """The source and the release (as nbformat reads them), and the release as plain JSON to edit."""
    course = released_course(tmp_path_factory)
    source = nbformat.read(course / "source" / A / NB, as_version=4)
    release = nbformat.read(course / "release" / A / NB, as_version=4)
    return source, release, nbtools.load(course / "release" / A / NB)


def _cell(nb: dict, grade_id: str) -> dict:
    return next(c for c in nb["cells"] if nbtools.nbgrader_meta(c).get("grade_id") == grade_id)


def _write(tmp_path: Path, nb) -> Path:
    path = tmp_path / NB
    path.write_text(nb if isinstance(nb, str) else json.dumps(nb, indent=1))
    return path


def _reference_submission(release_json: dict) -> dict:
    return nbtools.submission(release_json, nbtools.reference_code(nbtools.load(nbtools.EXERCISES / A / NB)))


def test_an_honest_submission_has_no_problems_and_keeps_the_trainees_answers(notebooks, tmp_path):
    source, release, release_json = notebooks
    submitted = _reference_submission(release_json)
    path = _write(tmp_path, submitted)
    checked = check_and_restore(path, source, release)
    assert checked.problems == []
    assert checked.sha256 == sha256_of(path) == nbtools.sha256(path)
    restored = {nbtools.nbgrader_meta(c).get("grade_id"): c for c in checked.notebook.cells}
    assert restored["q1_nrr-answer"].source == _cell(submitted, "q1_nrr-answer")["source"]


def test_hidden_tests_stripped_from_the_release_are_restored_from_the_source(notebooks, tmp_path):
    source, release, release_json = notebooks
    assert "grade_hidden" not in nbtools.source(_cell(release_json, "q1_nrr"))  # nbgrader removed them
    checked = check_and_restore(_write(tmp_path, release_json), source, release)
    restored = {nbtools.nbgrader_meta(c).get("grade_id"): c for c in checked.notebook.cells}
    for qid in ("q1_nrr", "q2_grr", "q7_churn_masked_by_expansion"):
        assert 'ex.grade_hidden("' + qid in restored[qid].source
        assert restored[qid].source == _cell(source, qid).source


def test_an_edited_test_cell_is_reported_and_put_back(notebooks, tmp_path):
    source, release, release_json = notebooks
    submitted = _reference_submission(release_json)
    _cell(submitted, "q2_grr")["source"] = "pass  # no checks here"
    checked = check_and_restore(_write(tmp_path, submitted), source, release)
    assert checked.problems == ["locked cell 'q2_grr' was edited"]
    restored = {nbtools.nbgrader_meta(c).get("grade_id"): c for c in checked.notebook.cells}
    assert restored["q2_grr"].source == _cell(source, "q2_grr").source


def test_an_edited_locked_text_cell_is_reported(notebooks, tmp_path):
    source, release, release_json = notebooks
    submitted = _reference_submission(release_json)
    _cell(submitted, "q1_nrr-task")["source"] = "## Task 1: worth 200 points"
    checked = check_and_restore(_write(tmp_path, submitted), source, release)
    assert checked.problems == ["locked cell 'q1_nrr-task' was edited"]


def test_changed_points_are_reported_and_the_instructors_points_restored(notebooks, tmp_path):
    source, release, release_json = notebooks
    submitted = _reference_submission(release_json)
    nbtools.nbgrader_meta(_cell(submitted, "q1_nrr"))["points"] = 50
    checked = check_and_restore(_write(tmp_path, submitted), source, release)
    assert checked.problems == ["cell 'q1_nrr' had its points or grading flags edited"]
    restored = {nbtools.nbgrader_meta(c).get("grade_id"): c for c in checked.notebook.cells}
    assert restored["q1_nrr"].metadata.nbgrader.points == 2


def test_a_changed_cell_id_is_reported(notebooks, tmp_path):
    source, release, release_json = notebooks
    submitted = _reference_submission(release_json)
    _cell(submitted, "setup")["id"] = "renamed"
    checked = check_and_restore(_write(tmp_path, submitted), source, release)
    assert checked.problems == ["cell 'setup' has a changed cell id"]


def _grade_ids(nb) -> list[str]:
    return [nbtools.nbgrader_meta(c).get("grade_id") for c in nb["cells"] if nbtools.nbgrader_meta(c).get("grade_id")]


def test_a_deleted_test_cell_is_put_back_where_it_was_and_reported(notebooks, tmp_path):
    source, release, release_json = notebooks
    submitted = _reference_submission(release_json)
    submitted["cells"] = [
        c for c in submitted["cells"] if nbtools.nbgrader_meta(c).get("grade_id") != "q3_logo_retention"
    ]
    checked = check_and_restore(_write(tmp_path, submitted), source, release)
    assert checked.problems == ["cell 'q3_logo_retention' was deleted; the release's cells were put back"]
    assert _grade_ids(checked.notebook) == _grade_ids(release_json)
    test_cell = next(
        c for c in checked.notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q3_logo_retention"
    )
    assert "grade_hidden" in test_cell.source  # the instructor's hidden test, not the release's stripped cell


def test_deleted_answer_and_test_cells_come_back_blank_and_counted(notebooks, tmp_path):
    source, release, release_json = notebooks
    submitted = _reference_submission(release_json)
    submitted["cells"] = [
        c for c in submitted["cells"] if not nbtools.nbgrader_meta(c).get("grade_id", "").startswith("q")
    ]
    checked = check_and_restore(_write(tmp_path, submitted), source, release)
    assert len(checked.problems) == 1 and re.search(r"was deleted \(and \d+ more\)", checked.problems[0])
    assert _grade_ids(checked.notebook) == _grade_ids(release_json)
    answer = next(
        c for c in checked.notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q1_nrr-answer"
    )
    assert "raise NotImplementedError" in answer.source  # the release's blank answer: it scores nothing


def test_a_duplicated_cell_makes_the_submission_unreadable(notebooks, tmp_path):
    source, release, release_json = notebooks
    submitted = _reference_submission(release_json)
    submitted["cells"].append(json.loads(json.dumps(_cell(submitted, "q2_grr"))))
    submitted["cells"][-1]["id"] = "another-id"  # a valid notebook: only the grade id repeats
    with pytest.raises(Unreadable, match="cell 'q2_grr' appears 2 times"):
        check_and_restore(_write(tmp_path, submitted), source, release)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('{"cells": [oops', "the file is not valid JSON (line 1"),
        (b"\xff\xfe not text", "the file is not UTF-8 text"),
        ('{"some": "json"}', "the file is JSON but not a notebook (no cells)"),
        ('{"cells": 5, "nbformat": 4}', "not a valid notebook"),
    ],
)
def test_a_file_that_is_not_a_notebook_is_unreadable_with_the_reason(notebooks, tmp_path, content, words):
    source, release, _ = notebooks
    path = tmp_path / NB
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(Unreadable) as caught:
        check_and_restore(path, source, release)
    assert str(caught.value).startswith(words)


def test_an_oversized_notebook_is_refused_before_it_is_parsed(notebooks, tmp_path):
    source, release, _ = notebooks
    path = tmp_path / NB
    path.write_bytes(b" " * (MAX_NOTEBOOK_BYTES + 1))
    with pytest.raises(Unreadable, match="more than the 10 MB limit"):
        check_and_restore(path, source, release)


def test_outputs_are_cleared_and_the_raw_file_is_never_modified(notebooks, tmp_path):
    source, release, release_json = notebooks
    submitted = _reference_submission(release_json)
    answer = _cell(submitted, "q1_nrr-answer")
    answer["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "a planted output\n"}]
    answer["execution_count"] = 3
    path = _write(tmp_path, submitted)
    before = path.read_bytes()
    checked = check_and_restore(path, source, release)
    assert all(c.outputs == [] and c.execution_count is None for c in checked.notebook.cells if c.cell_type == "code")
    assert path.read_bytes() == before
