"""Module 3's questions, checked in-process: right answers pass, each known mistake is named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import csm_academy as ca
from csm_academy.lessons import expansion as lesson
from csm_academy.lessons.expansion.compare import ChoiceBar
from csm_academy.metrics import expansion
from csm_academy.questions import CheckFailed, Outcome, wire
from csm_academy.questions.compare import BrokenRule, Choice, PerRow, WrongShape
from csm_academy.questions.question import _MISSING
from tests import nbtools
from tests.answers.expansion import ALWAYS_EQUAL, COPIED_NUMBER, WRONG

SOURCE = nbtools.load(nbtools.EXERCISES / lesson.ASSIGNMENT / f"{lesson.ASSIGNMENT}.ipynb")
REFERENCE = nbtools.reference_code(SOURCE)
HIDDEN_SEEDS = (30911, 61843)
REQUIRED = {
    "utilisation_against_active_users",
    "two_of_three_is_yes",
    "sponsor_interest_as_funding",
    "automatic_credited_to_csm",
    "logins_as_proof_of_value",
}


@pytest.fixture(scope="module")
def ex():
    return lesson.exercise()


@pytest.fixture(scope="module")
def full_visible_book():
    """The visible book with its truth, as the grader sees it (trainee code still gets only the observable part)."""
    return ca.generate_book(lesson.LESSON.seed, 400)


def _fn(code: str, name: str):
    return nbtools.exec_answers({**REFERENCE, "_": code})[name]


def test_exercise_has_at_least_six_graded_questions_with_points():
    assert len(lesson.QUESTIONS) >= 6
    assert all(q.points > 0 for q in lesson.QUESTIONS)
    assert sum(q.points for q in lesson.QUESTIONS) == 17


@pytest.mark.parametrize("q", lesson.QUESTIONS, ids=lambda q: q.qid)
def test_reference_solution_is_correct_on_visible_and_hidden_books(ex, full_visible_book, q):
    ns = nbtools.exec_answers(REFERENCE)
    assert ex.question(q.qid).evaluate(ns[q.answer], ex.book).outcome is Outcome.CORRECT
    assert q.evaluate(ns[q.answer], full_visible_book).outcome is Outcome.CORRECT
    ex.grade_hidden(q.qid, seeds=HIDDEN_SEEDS, answer=ns[q.answer])  # raises CheckFailed if any case fails


@pytest.mark.parametrize("mid", sorted(WRONG))
def test_each_misconception_is_named_with_its_own_message(full_visible_book, mid):
    qid, code = WRONG[mid]
    q = next(q for q in lesson.QUESTIONS if q.qid == qid)
    feedback = q.evaluate(_fn(code, q.answer), full_visible_book)
    assert feedback.outcome is Outcome.INCORRECT
    assert feedback.misconception == mid
    assert feedback.message == lesson.MISCONCEPTIONS[mid].message
    assert feedback.points == 0


def test_every_listed_misconception_has_a_trainee_style_answer():
    listed = {m.id for q in lesson.QUESTIONS for m in q.misconceptions}
    assert listed == set(WRONG)
    assert listed >= REQUIRED


def test_misconception_messages_are_distinct():
    messages = [m.message for m in lesson.MISCONCEPTIONS.values()]
    assert len(messages) == len(set(messages))


@pytest.mark.parametrize("q", lesson.QUESTIONS, ids=lambda q: q.qid)
def test_on_the_visible_book_each_mistake_differs_from_the_answer_and_from_the_others(full_visible_book, q):
    expected = q.compare.coerce(q.reference(full_visible_book))
    exact = []
    for m in q.misconceptions:
        wrong = q.compare.coerce(m.produce(full_visible_book))
        assert not q.compare.same(wrong, expected), m.id
        if not isinstance(wrong, BrokenRule):
            assert not any(q.compare.same(wrong, other) for other in exact), m.id
            exact.append(wrong)


def test_untouched_stub_reads_as_not_attempted(ex):
    stub = _fn("def verdict(sheet):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n", "verdict")
    feedback = ex.question("q4_verdict").evaluate(stub, ex.book)
    assert feedback.outcome is Outcome.NOT_ATTEMPTED and feedback.points == 0


def test_missing_function_reads_as_not_attempted(ex):
    assert ex.question("q7_choose_motions").evaluate(_MISSING, ex.book).outcome is Outcome.NOT_ATTEMPTED


def test_copied_rates_pass_the_visible_check_but_fail_hidden_books(ex):
    value = expansion.contraction_rates(lesson.closed_pipeline(ex.book), lesson.renewals_view(ex.book))
    copied = _fn(COPIED_NUMBER.format(value=value), "contraction_by_value")
    assert ex.question("q5_contraction_by_value").evaluate(copied, ex.book).outcome is Outcome.CORRECT
    with pytest.raises(CheckFailed):
        ex.grade_hidden("q5_contraction_by_value", seeds=HIDDEN_SEEDS, answer=copied)


def test_copied_choice_from_the_visible_book_fails_hidden_books(ex):
    pipe = lesson.pipeline(ex.book)
    chosen = expansion.choose_motions(pipe, lesson.quarter_capacity(pipe))
    copied = _fn(f"def choose_motions(pipeline, capacity):\n    return {chosen!r}\n", "choose_motions")
    assert ex.question("q7_choose_motions").evaluate(copied, ex.book).outcome is Outcome.CORRECT
    with pytest.raises(CheckFailed):
        ex.grade_hidden("q7_choose_motions", seeds=HIDDEN_SEEDS, answer=copied)


def test_object_claiming_to_equal_everything_fails(ex):
    feedback = ex.question("q5_contraction_by_value").evaluate(_fn(ALWAYS_EQUAL, "contraction_by_value"), ex.book)
    assert feedback.outcome is Outcome.INCORRECT and feedback.misconception == "wrong_shape"


def test_a_series_of_numbers_is_not_a_true_false_answer(ex):
    code = (
        "def value_proven(pipeline):\n"
        "    p = pipeline.set_index('opportunity_id')\n"
        "    return p['active_users'] / p['seats_purchased']\n"
    )
    feedback = ex.question("q2_value_proven").evaluate(_fn(code, "value_proven"), ex.book)
    assert feedback.misconception == "wrong_shape" and "True or False" in feedback.message


def test_a_verdict_indexed_by_position_instead_of_opportunity_is_wrong(ex):
    code = (
        "def verdict(sheet):\n"
        "    met = sheet['value_proven'].astype(int) + sheet['real_use_case'].astype(int) + sheet['sponsor_funded']\n"
        "    return met.map({3: 'pursue', 2: 'maybe', 1: 'no', 0: 'no'})\n"
    )
    assert ex.question("q4_verdict").evaluate(_fn(code, "verdict"), ex.book).outcome is Outcome.INCORRECT


def test_verdict_labels_are_read_without_regard_to_case(ex):
    code = (
        "def verdict(sheet):\n"
        "    s = sheet.set_index('opportunity_id')\n"
        "    met = s['value_proven'].astype(int) + s['real_use_case'].astype(int) + s['sponsor_funded']\n"
        "    return met.map({3: 'Pursue', 2: 'Maybe ', 1: 'No', 0: 'No'})\n"
    )
    assert ex.question("q4_verdict").evaluate(_fn(code, "verdict"), ex.book).outcome is Outcome.CORRECT


def test_a_choice_listing_an_opportunity_twice_is_explained(ex):
    code = (
        "def choose_motions(pipeline, capacity):\n    i = int(pipeline['opportunity_id'].iloc[0])\n    return [i, i]\n"
    )
    feedback = ex.question("q7_choose_motions").evaluate(_fn(code, "choose_motions"), ex.book)
    assert feedback.misconception == "wrong_shape" and "more than once" in feedback.message


def test_a_choice_may_come_back_as_a_series_a_set_or_an_array(ex):
    chooser = nbtools.exec_answers(REFERENCE)["choose_motions"]
    q = ex.question("q7_choose_motions")
    for wrap in (set, pd.Series, np.array, tuple):
        answer = lambda pipeline, capacity, wrap=wrap: wrap(chooser(pipeline, capacity))  # noqa: E731
        assert q.evaluate(answer, ex.book).outcome is Outcome.CORRECT, wrap


def test_an_empty_choice_keeps_nothing_and_fails(ex):
    feedback = ex.question("q7_choose_motions").evaluate(lambda pipeline, capacity: [], ex.book)
    assert feedback.outcome is Outcome.INCORRECT and feedback.misconception is None


def test_calling_the_course_reference_is_not_accepted(ex):
    code = "from csm_academy.metrics import expansion as m\n"
    code += "def criteria_met(pipeline):\n    return m.criteria_met(pipeline)\n"
    feedback = ex.question("q3_criteria_met").evaluate(_fn(code, "criteria_met"), ex.book)
    assert feedback.misconception == "borrowed_reference"


def test_a_fixed_value_instead_of_a_function_is_explained(ex):
    assert ex.question("q7_choose_motions").evaluate([1, 2, 3], ex.book).misconception == "not_a_function"


@pytest.mark.parametrize("mid", sorted(WRONG))
def test_feedback_never_reveals_the_expected_value(full_visible_book, mid):
    qid, code = WRONG[mid]
    q = next(q for q in lesson.QUESTIONS if q.qid == qid)
    feedback = q.evaluate(_fn(code, q.answer), full_visible_book)
    expected = q.reference(full_visible_book)
    text = str(feedback) + feedback._repr_html_()
    if isinstance(expected, dict):  # shares
        for value in expected.values():
            assert all(f"{value:{fmt}}" not in text for fmt in (".2f", ".3f", ".1%", ".0%") if value > 0.01)
    elif isinstance(expected, ChoiceBar):  # dollars, and the ids that would have passed
        assert f"{expected.bar:,.0f}" not in text and f"{expected.bar:.0f}" not in text
        assert "durable" not in feedback.message or "," not in feedback.message


def test_trainee_functions_receive_no_hidden_truth(ex):
    seen: set[str] = set()

    def spy(*frames):
        seen.update(c for f in frames if hasattr(f, "columns") for c in f.columns)
        return []

    book = ca.generate_book(5, 150)
    for q in lesson.QUESTIONS:
        q.evaluate(spy, book)
    assert not seen & {"fit", "root_cause", "churn_risk", "savable", "outcome_attained", "time_to_value"}
    assert "stage" not in lesson.pipeline(book).columns  # the judgement sees no results
    # The sheet's criteria are judged from the evidence a CSM sees, which is not the same as the truth.
    sheet = lesson.qualification_sheet(book).set_index("opportunity_id")
    from_evidence = expansion.value_proven(lesson.pipeline(book))
    assert sheet["value_proven"].equals(from_evidence.reindex(sheet.index))
    truth = sheet["account_id"].map(book.truth.set_index("account_id")["value_proven"])
    assert (sheet["value_proven"] != truth).any()
    assert ex.book.truth is None


def test_choice_bar_never_asks_more_than_the_course_choice_keeps(full_visible_book):
    bar = lesson.choice_bar(full_visible_book)
    pipe = lesson.pipeline(full_visible_book)
    course = tuple(sorted(expansion.choose_motions(pipe, bar.capacity)))
    assert Choice().same(course, bar)
    assert bar.barred and all(i in bar.durable for i in bar.barred)


def test_per_row_reads_ids_that_arrive_as_text_and_rejects_duplicates():
    compare = PerRow(kind="count")
    got = compare.coerce(pd.Series({"12": 2, "3": 0}))
    assert list(got.index) == [3, 12] and list(got) == [0, 2]
    with pytest.raises(WrongShape):
        compare.coerce(pd.Series([1, 2], index=[7, 7]))
    with pytest.raises(WrongShape):
        compare.coerce(pd.Series([1.5], index=[7]))


def test_reference_answers_survive_the_graders_round_trip(ex):
    ns = nbtools.exec_answers(REFERENCE)
    for q in lesson.QUESTIONS:
        result = ns[q.answer](*q.inputs(ex.book))
        decoded = wire.decode(wire.encode(result))
        expected = q.compare.coerce(q.reference(ex.book))
        assert q.compare.same(q.compare.coerce(decoded), expected), q.qid


def test_practice_questions_check_and_show_solutions():
    practice = lesson.practice(ca.load_book("starter-500"))
    assert practice.p1_forty_k_utilisation.feedback(0.3).correct
    assert practice.p1_forty_k_utilisation.feedback(1.0).misconception == "utilisation_against_active_users"
    assert practice.p2_two_of_three.feedback("pursue").misconception == "two_of_three_is_yes"
    assert practice.p2_two_of_three.feedback("maybe").correct
    ns = nbtools.exec_answers({"pd": "import pandas as pd\n"})
    for qid in ("p_value_proven", "p_expansion_by_source"):
        q = practice.question(qid)
        exec(q.solution_code, ns)
        assert getattr(practice, qid).feedback(ns[q.answer]).correct, qid
