"""Module 4 through real nbgrader: generate, validate both ways, autograde a cohort, a written answer, feedback."""

from __future__ import annotations

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
        "written": nbtools.with_written_answer(nbtools.submission(release, reference), WRITTEN, WRITTEN_ANSWER),
        "copied-number": nbtools.submission(release, {**reference, q2: COPIED_NUMBER.format(value=visible)}),
        "always-equal": nbtools.submission(release, {**reference, q2: ALWAYS_EQUAL}),
    }
    for qid, (_name, code) in READS_OWN_BOOK.items():
        cohort[f"own-book-{qid}"] = nbtools.submission(release, {**reference, qid: code})
    cohort.update(nbtools.misconception_submissions(release, reference, WRONG))
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
    nbtools.assert_only_this_question_lost(_auto_scores(root, f"mis-{mid}"), qid, POINTS)
    nbtools.assert_mistake_named(root, ASSIGNMENT, mid, qid, lesson.MISCONCEPTIONS[mid].message)


def test_hard_coded_figures_from_the_visible_book_lose_the_points(course):
    root, _ = course
    nbtools.assert_only_this_question_lost(_auto_scores(root, "copied-number"), "q2_surprises", POINTS)
    assert "unseen book" in _graded_outputs(root, "copied-number", "q2_surprises")


def test_object_that_equals_everything_loses_the_points(course):
    root, _ = course
    nbtools.assert_only_this_question_lost(_auto_scores(root, "always-equal"), "q2_surprises", POINTS)


@pytest.mark.parametrize("qid", sorted(READS_OWN_BOOK))
def test_answers_read_from_the_trainees_own_book_score_nothing_on_unseen_books(course, qid):
    root, _ = course
    nbtools.assert_only_this_question_lost(_auto_scores(root, f"own-book-{qid}"), qid, POINTS)
    assert "unseen book" in _graded_outputs(root, f"own-book-{qid}", qid)


def test_written_answer_waits_for_manual_grading_and_counts_only_once_graded(course):
    root, _ = course
    with nbtools.gradebook(root) as gb:
        submission = gb.find_submission(ASSIGNMENT, "written")
        assert submission.max_score == AUTO_TOTAL + WRITTEN_POINTS
    nbtools.assert_written_answer_graded_by_hand(root, ASSIGNMENT, WRITTEN, "written")


def test_an_unanswered_written_question_scores_zero_without_waiting(course):
    root, _ = course
    nbtools.assert_unanswered_written_scores_zero(root, ASSIGNMENT, WRITTEN, "reference")


def test_raw_submissions_are_never_modified(course):
    root, hashes = course
    nbtools.assert_submissions_unchanged(root, ASSIGNMENT, hashes)


def test_feedback_html_has_no_hidden_test_source_and_no_rubric(course):
    root, _ = course
    nbtools.assert_feedback_in_words(
        root, ASSIGNMENT, "mis-discount_as_lever", HIDDEN_SEEDS, "You reached for a discount"
    )


def test_release_has_no_solutions_no_rubric_and_no_hidden_tests(course):
    root, _ = course
    nbtools.assert_release_clean(root, ASSIGNMENT, HIDDEN_SEEDS, WRITTEN)


def test_validate_passes_the_source_and_fails_the_release(course):
    root, _ = course
    nbtools.assert_validate_both_ways(root, ASSIGNMENT)
