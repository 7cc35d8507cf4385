"""Module 1's questions, checked in-process: right answers pass, each known mistake is named."""

from __future__ import annotations

import pytest

import csm_academy as ca
from csm_academy.lessons import nrr_math
from csm_academy.questions import CheckFailed, Outcome
from tests import nbtools
from tests.answers.nrr_math import ALWAYS_EQUAL, COPIED_NUMBER, WRONG

SOURCE = nbtools.load(nbtools.EXERCISES / "01_nrr_math" / "01_nrr_math.ipynb")
REFERENCE = nbtools.reference_code(SOURCE)
HIDDEN_SEEDS = (40913, 77021)


@pytest.fixture(scope="module")
def ex():
    return nrr_math.exercise()


def _fn(code: str, name: str, extra: dict[str, str] | None = None):
    return nbtools.exec_answers({**REFERENCE, **(extra or {}), "_": code})[name]


def test_exercise_has_at_least_six_graded_questions_with_points():
    assert len(nrr_math.QUESTIONS) >= 6
    assert all(q.points > 0 for q in nrr_math.QUESTIONS)
    assert sum(q.points for q in nrr_math.QUESTIONS) == 15


@pytest.mark.parametrize("q", nrr_math.QUESTIONS, ids=lambda q: q.qid)
def test_reference_solution_is_correct_on_visible_and_hidden_books(ex, q):
    ns = nbtools.exec_answers(REFERENCE)
    assert ex.question(q.qid).evaluate(ns[q.answer], ex.book).outcome is Outcome.CORRECT
    ex.grade_hidden(q.qid, seeds=HIDDEN_SEEDS, answer=ns[q.answer])  # raises CheckFailed if any case fails


@pytest.mark.parametrize("mid", sorted(WRONG))
def test_each_misconception_is_named_with_its_own_message(ex, mid):
    qid, code = WRONG[mid]
    q = ex.question(qid)
    feedback = q.evaluate(_fn(code, q.answer), ex.book)
    assert feedback.outcome is Outcome.INCORRECT
    assert feedback.misconception == mid
    assert feedback.message == nrr_math.MISCONCEPTIONS[mid].message
    assert feedback.points == 0


def test_every_listed_misconception_has_a_trainee_style_answer():
    listed = {m.id for q in nrr_math.QUESTIONS for m in q.misconceptions}
    assert listed == set(WRONG)
    required = {
        "grr_includes_expansion",
        "nrr_average_denominator",
        "grr_ending_denominator",
        "nrr_counts_new_logos",
        "logo_contraction_as_churn",
        "nrr_ignores_contraction",
        "logo_retention_from_dollars",
        "mrr_not_annualised",
    }
    assert required <= listed


def test_misconception_messages_are_distinct():
    messages = [m.message for m in nrr_math.MISCONCEPTIONS.values()]
    assert len(messages) == len(set(messages))


def test_untouched_stub_reads_as_not_attempted(ex):
    stub = _fn("def nrr(report):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n", "nrr")
    feedback = ex.question("q1_nrr").evaluate(stub, ex.book)
    assert feedback.outcome is Outcome.NOT_ATTEMPTED and feedback.points == 0


def test_missing_function_reads_as_not_attempted(ex):
    from csm_academy.questions.question import _MISSING

    assert ex.question("q1_nrr").evaluate(_MISSING, ex.book).outcome is Outcome.NOT_ATTEMPTED


def test_copied_number_passes_the_visible_check_but_fails_hidden_books(ex):
    value = nrr_math.nrr_of(nrr_math.arr_report(ex.book))
    copied = _fn(COPIED_NUMBER.format(value=value), "nrr")
    assert ex.question("q1_nrr").evaluate(copied, ex.book).outcome is Outcome.CORRECT
    with pytest.raises(CheckFailed):
        ex.grade_hidden("q1_nrr", seeds=HIDDEN_SEEDS, answer=copied)


def test_object_claiming_to_equal_everything_fails(ex):
    feedback = ex.question("q1_nrr").evaluate(_fn(ALWAYS_EQUAL, "nrr"), ex.book)
    assert feedback.outcome is Outcome.INCORRECT and feedback.misconception == "wrong_shape"


def test_float_subclass_with_lying_eq_is_judged_on_its_value(ex):
    code = (
        "class Liar(float):\n    def __eq__(self, other):\n        return True\n    __hash__ = float.__hash__\n"
        "def nrr(report):\n    return Liar(0.5)\n"
    )
    assert ex.question("q1_nrr").evaluate(_fn(code, "nrr"), ex.book).outcome is Outcome.INCORRECT


def test_forgotten_return_is_explained(ex):
    feedback = ex.question("q2_grr").evaluate(_fn("def grr(report):\n    x = 1\n", "grr"), ex.book)
    assert feedback.misconception == "returned_none" and "return" in feedback.message


def test_an_error_in_trainee_code_is_reported_in_one_line(ex):
    feedback = ex.question("q2_grr").evaluate(
        _fn("def grr(report):\n    return report['nope'].sum()\n", "grr"), ex.book
    )
    assert feedback.misconception == "raised_error"
    assert "KeyError" in feedback.message and "\n" not in feedback.message


def test_calling_the_course_reference_is_not_accepted(ex):
    code = "from csm_academy.lessons import nrr_math as m\ndef nrr(report):\n    return m.nrr_of(report)\n"
    feedback = ex.question("q1_nrr").evaluate(_fn(code, "nrr"), ex.book)
    assert feedback.misconception == "borrowed_reference"
    direct = ex.question("q1_nrr").evaluate(nrr_math.nrr_of, ex.book)
    assert direct.misconception == "borrowed_reference"


def test_a_fixed_value_instead_of_a_function_is_explained(ex):
    feedback = ex.question("q1_nrr").evaluate(1.05, ex.book)
    assert feedback.misconception == "not_a_function"


@pytest.mark.parametrize("mid", sorted(WRONG))
def test_feedback_never_reveals_the_expected_value(ex, mid):
    qid, code = WRONG[mid]
    q = ex.question(qid)
    feedback = q.evaluate(_fn(code, q.answer), ex.book)
    expected = q.reference(ex.book)
    text = str(feedback) + feedback._repr_html_()
    if isinstance(expected, float):
        for digits in (2, 3, 4):
            assert f"{expected:.{digits}f}" not in text
            assert f"{expected:.{digits - 2}%}" not in text if digits > 2 else True
    elif isinstance(expected, str):
        assert expected not in feedback.message


def test_trainee_functions_receive_no_hidden_truth(ex):
    seen = {}

    def spy(report):
        seen["columns"] = set(report.columns)
        return 1.0

    ex.question("q1_nrr").evaluate(spy, ca.generate_book(5, 100))
    assert not seen["columns"] & {"fit", "root_cause", "churn_risk", "savable"}
    assert ex.book.truth is None


def test_a_hint_past_the_last_says_there_are_no_more_and_repeats_the_last():
    question = nrr_math.QUESTIONS[0]
    last = question.hint(len(question.hints))
    past = question.hint(len(question.hints) + 1)
    assert past.text.startswith(f"There are no more hints: hint({len(question.hints)}) was the last.")
    assert past.text.endswith(last.text) and past.level == last.level == past.of


def test_a_trainees_check_shows_its_feedback_and_only_nbgrader_sees_a_failed_cell(ex, monkeypatch, capsys):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    ex.q1_nrr.check(answer=lambda report: 0.5)  # Run All goes on past a wrong or unattempted answer
    assert "Q1 Net revenue retention — Not yet. That is not this book's NRR." in capsys.readouterr().out
    for mode in ("validate", "autograde"):
        monkeypatch.setenv("NBGRADER_EXECUTION", mode)
        with pytest.raises(CheckFailed):
            ex.q1_nrr.check(answer=lambda report: 0.5)
