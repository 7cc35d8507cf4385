"""Module 4 through real nbgrader: generate, validate both ways, autograde a cohort, a written answer, feedback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from csm_academy.lessons import save_or_let_go as lesson
from csm_academy.metrics import renewal as M
from tests import nbtools
from tests.answers.save_or_let_go import ALWAYS_EQUAL, COPIED_NUMBER, READS_OWN_BOOK, WRITTEN_ANSWER, WRONG

pytestmark = pytest.mark.slow
ASSIGNMENT = lesson.ASSIGNMENT
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
WRITTEN = "w1_cancelling_customer"
POINTS = {q.qid: q.points for q in lesson.QUESTIONS}
AUTO_TOTAL = sum(POINTS.values())
WRITTEN_POINTS = 3
HIDDEN_SEEDS = ("7340123", "5128841")


def _with_written_answer(nb: dict, text: str) -> dict:
    """A copy of a notebook with ``text`` typed into the written-answer (markdown) cell."""
    out = json.loads(json.dumps(nb))
    cell = next(c for c in out["cells"] if nbtools.nbgrader_meta(c).get("grade_id") == WRITTEN)
    cell["source"] = text
    return out


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course folder using the real nbgrader_config.py, with a cohort of submissions autograded."""
    root = tmp_path_factory.mktemp("autograder")
    release = nbtools.new_course(root, ASSIGNMENT)
    reference = nbtools.reference_code(nbtools.load(nbtools.EXERCISES / ASSIGNMENT / NOTEBOOK))
    book = lesson.exercise().book
    visible = M.surprises(lesson.renewals_view(book))

    q2 = "q2_surprises"
    cohort: dict[str, dict] = {
        "reference": nbtools.submission(release, reference),
        "untouched": release,
        "written": _with_written_answer(nbtools.submission(release, reference), WRITTEN_ANSWER),
        "copied-number": nbtools.submission(release, {**reference, q2: COPIED_NUMBER.format(value=visible)}),
        "always-equal": nbtools.submission(release, {**reference, q2: ALWAYS_EQUAL}),
    }
    for qid, (_name, code) in READS_OWN_BOOK.items():
        cohort[f"own-book-{qid}"] = nbtools.submission(release, {**reference, qid: code})
    for mid, (qid, code) in WRONG.items():
        cohort[f"mis-{mid}"] = nbtools.submission(release, {**reference, qid: code})
    hashes = nbtools.autograde_cohort(root, ASSIGNMENT, cohort)
    return root, hashes


def _auto_scores(root: Path, student: str) -> dict[str, float]:
    return {qid: score for qid, score in _scores(root, student).items() if qid != WRITTEN}


def _scores(root: Path, student: str) -> dict[str, float]:
    return nbtools.notebook_scores(root, ASSIGNMENT, student)


def _graded_outputs(root: Path, student: str, qid: str) -> str:
    return nbtools.graded_outputs(root, ASSIGNMENT, student, qid)


def test_reference_solution_gets_full_autograded_marks(course):
    root, _ = course
    assert _auto_scores(root, "reference") == {qid: float(p) for qid, p in POINTS.items()}
    assert sum(_scores(root, "reference").values()) == AUTO_TOTAL


def test_untouched_release_gets_zero(course):
    root, _ = course
    assert sum(_scores(root, "untouched").values()) == 0
    assert "Not attempted yet" in _graded_outputs(root, "untouched", "q1_forecast_vs_outcome")


@pytest.mark.parametrize("mid", sorted(WRONG))
def test_each_misconception_loses_its_points_and_is_named(course, mid):
    root, _ = course
    qid, _code = WRONG[mid]
    scores = _auto_scores(root, f"mis-{mid}")
    assert scores[qid] == 0
    assert sum(scores.values()) == AUTO_TOTAL - POINTS[qid]
    out = _graded_outputs(root, f"mis-{mid}", qid)
    assert f"[mistake: {mid}]" in out
    assert lesson.MISCONCEPTIONS[mid].message.split(".")[0] in out
    assert "Traceback" not in out and "grade_hidden" not in out


def test_hard_coded_figures_from_the_visible_book_lose_the_points(course):
    root, _ = course
    scores = _auto_scores(root, "copied-number")
    assert scores["q2_surprises"] == 0
    assert sum(scores.values()) == AUTO_TOTAL - POINTS["q2_surprises"]
    assert "unseen book" in _graded_outputs(root, "copied-number", "q2_surprises")


def test_object_that_equals_everything_loses_the_points(course):
    root, _ = course
    scores = _auto_scores(root, "always-equal")
    assert scores["q2_surprises"] == 0
    assert sum(scores.values()) == AUTO_TOTAL - POINTS["q2_surprises"]


@pytest.mark.parametrize("qid", sorted(READS_OWN_BOOK))
def test_answers_read_from_the_trainees_own_book_score_nothing_on_unseen_books(course, qid):
    root, _ = course
    scores = _auto_scores(root, f"own-book-{qid}")
    assert scores[qid] == 0
    assert sum(scores.values()) == AUTO_TOTAL - POINTS[qid]
    assert "unseen book" in _graded_outputs(root, f"own-book-{qid}", qid)


def test_written_answer_waits_for_manual_grading_and_counts_only_once_graded(course):
    root, _ = course
    with nbtools.gradebook(root) as gb:
        grade = gb.find_grade(WRITTEN, ASSIGNMENT, ASSIGNMENT, "written")
        assert grade.needs_manual_grade and grade.auto_score is None and grade.max_score == WRITTEN_POINTS
        submission = gb.find_submission(ASSIGNMENT, "written")
        assert submission.needs_manual_grade
        # Until an instructor grades it, the written answer adds nothing: the total is the autograded part.
        assert submission.score == AUTO_TOTAL and submission.max_score == AUTO_TOTAL + WRITTEN_POINTS
        # What the formgrader does when an instructor saves a score for the cell.
        grade.manual_score, grade.needs_manual_grade = 2, False
        gb.db.commit()
    with nbtools.gradebook(root) as gb:
        submission = gb.find_submission(ASSIGNMENT, "written")
        assert submission.score == AUTO_TOTAL + 2 and not submission.needs_manual_grade


def test_an_unanswered_written_question_scores_zero_without_waiting(course):
    root, _ = course
    with nbtools.gradebook(root) as gb:
        grade = gb.find_grade(WRITTEN, ASSIGNMENT, ASSIGNMENT, "reference")
        assert grade.auto_score == 0 and not grade.needs_manual_grade


def test_raw_submissions_are_never_modified(course):
    root, hashes = course
    for student, digest in hashes.items():
        assert nbtools.sha256(root / "course" / "submitted" / student / ASSIGNMENT / NOTEBOOK) == digest, student


def test_feedback_html_has_no_hidden_test_source_and_no_rubric(course):
    root, _ = course
    student = "mis-discount_as_lever"
    run = nbtools.run_nbgrader(root, "generate_feedback", ASSIGNMENT, "--student", student, "--force")
    assert run.returncode == 0, run.stderr[-2000:]
    html = (root / "course" / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "grade_hidden" not in html and "HIDDEN TESTS" not in html
    assert not any(seed in html for seed in HIDDEN_SEEDS)
    assert "Rubric for instructors" not in html
    assert "You reached for a discount" in html


def test_release_has_no_solutions_no_rubric_and_no_hidden_tests(course):
    root, _ = course
    text = (root / "course" / "release" / ASSIGNMENT / NOTEBOOK).read_text()
    assert "BEGIN SOLUTION" not in text and "grade_hidden" not in text
    assert not any(seed in text for seed in HIDDEN_SEEDS)
    assert "Rubric for instructors" not in text and "full-marks reply" not in text
    assert "raise NotImplementedError()" in text
    written = next(
        c
        for c in nbtools.load(root / "course" / "release" / ASSIGNMENT / NOTEBOOK)["cells"]
        if nbtools.nbgrader_meta(c).get("grade_id") == WRITTEN
    )
    assert nbtools.source(written).strip() == "YOUR ANSWER HERE"


def test_validate_passes_the_source_and_fails_the_release(course):
    root, _ = course
    ok = nbtools.run_nbgrader(root, "validate", str(nbtools.EXERCISES / ASSIGNMENT / NOTEBOOK))
    assert "Success! Your notebook passes all the tests." in ok.stdout, ok.stdout[-2000:]
    bad = nbtools.run_nbgrader(root, "validate", str(root / "course" / "release" / ASSIGNMENT / NOTEBOOK))
    assert "VALIDATION FAILED" in bad.stdout, bad.stdout[-2000:]
    inverted = nbtools.run_nbgrader(
        root, "validate", "--invert", str(root / "course" / "release" / ASSIGNMENT / NOTEBOOK)
    )
    assert "Success! The notebook does not pass any tests." in inverted.stdout
