"""Module 1 through real nbgrader: generate, validate both ways, autograde a cohort, feedback."""

from __future__ import annotations

from pathlib import Path

import pytest

from csm_academy.lessons import nrr_math
from tests import nbtools
from tests.answers.nrr_math import ALWAYS_EQUAL, COPIED_NUMBER, WRONG

pytestmark = pytest.mark.slow
ASSIGNMENT = "01_nrr_math"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
POINTS = {q.qid: q.points for q in nrr_math.QUESTIONS}
TOTAL = sum(POINTS.values())


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course folder using the real nbgrader_config.py, with a cohort of submissions autograded."""
    root = tmp_path_factory.mktemp("autograder")
    release = nbtools.new_course(root, ASSIGNMENT)
    reference = nbtools.reference_code(nbtools.load(nbtools.EXERCISES / ASSIGNMENT / NOTEBOOK))
    visible_nrr = nrr_math.nrr_of(nrr_math.arr_report(nrr_math.exercise().book))

    cohort: dict[str, dict] = {
        "reference": nbtools.submission(release, reference),
        "untouched": release,
        "copied-number": nbtools.submission(release, {**reference, "q1_nrr": COPIED_NUMBER.format(value=visible_nrr)}),
        "always-equal": nbtools.submission(release, {**reference, "q1_nrr": ALWAYS_EQUAL}),
    }
    for mid, (qid, code) in WRONG.items():
        cohort[f"mis-{mid}"] = nbtools.submission(release, {**reference, qid: code})
    hashes = nbtools.autograde_cohort(root, ASSIGNMENT, cohort)
    return root, hashes


def _scores(root: Path, student: str) -> dict[str, float]:
    return nbtools.notebook_scores(root, ASSIGNMENT, student)


def _graded_outputs(root: Path, student: str, qid: str) -> str:
    return nbtools.graded_outputs(root, ASSIGNMENT, student, qid)


def test_reference_solution_gets_full_marks(course):
    root, _ = course
    scores = _scores(root, "reference")
    assert scores == {qid: float(p) for qid, p in POINTS.items()}
    assert sum(scores.values()) == TOTAL


def test_untouched_release_gets_zero(course):
    root, _ = course
    assert sum(_scores(root, "untouched").values()) == 0
    assert "Not attempted yet" in _graded_outputs(root, "untouched", "q1_nrr")


@pytest.mark.parametrize("mid", sorted(WRONG))
def test_each_misconception_loses_its_points_and_is_named(course, mid):
    root, _ = course
    qid, _code = WRONG[mid]
    scores = _scores(root, f"mis-{mid}")
    assert scores[qid] == 0
    assert sum(scores.values()) == TOTAL - POINTS[qid]
    out = _graded_outputs(root, f"mis-{mid}", qid)
    assert f"[mistake: {mid}]" in out
    assert "Traceback" not in out and "grade_hidden" not in out


def test_hard_coded_number_from_the_visible_book_loses_the_points(course):
    root, _ = course
    scores = _scores(root, "copied-number")
    assert scores["q1_nrr"] == 0 and sum(scores.values()) == TOTAL - POINTS["q1_nrr"]
    assert "not seen" in _graded_outputs(root, "copied-number", "q1_nrr") or "unseen book" in _graded_outputs(
        root, "copied-number", "q1_nrr"
    )


def test_object_that_equals_everything_loses_the_points(course):
    root, _ = course
    scores = _scores(root, "always-equal")
    assert scores["q1_nrr"] == 0 and sum(scores.values()) == TOTAL - POINTS["q1_nrr"]


def test_raw_submissions_are_never_modified(course):
    root, hashes = course
    nbtools.assert_submissions_unchanged(root, ASSIGNMENT, hashes)


def test_feedback_html_has_no_hidden_test_source(course):
    root, _ = course
    run = nbtools.run_nbgrader(
        root, "generate_feedback", ASSIGNMENT, "--student", "mis-grr_includes_expansion", "--force"
    )
    assert run.returncode == 0, run.stderr[-2000:]
    html = (root / "course" / "feedback" / "mis-grr_includes_expansion" / ASSIGNMENT / "01_nrr_math.html").read_text()
    assert "grade_hidden" not in html and "40913" not in html and "HIDDEN TESTS" not in html
    assert "That is NRR, not GRR" in html


def test_release_has_no_solutions_and_no_hidden_tests(course):
    root, _ = course
    text = (root / "course" / "release" / ASSIGNMENT / NOTEBOOK).read_text()
    assert "BEGIN SOLUTION" not in text and "grade_hidden" not in text and "40913" not in text
    assert "raise NotImplementedError()" in text


def test_validate_passes_the_source_and_fails_the_release(course):
    root, _ = course
    nbtools.assert_validate_both_ways(root, ASSIGNMENT)
