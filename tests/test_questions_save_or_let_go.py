"""Module 4's questions, checked in-process: right answers pass, each known mistake is named, judgement
questions are judged on books the trainee never saw and cannot be passed by reading the trainee's own book."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pandas as pd
import pytest

import csm_academy as ca
from csm_academy.lessons import save_or_let_go as lesson
from csm_academy.lessons.save_or_let_go import handout
from csm_academy.lessons.save_or_let_go.compare import Forecast, HoursBar, SavePlan, TriageBar, UsesLabel
from csm_academy.metrics import renewal
from csm_academy.questions import CheckFailed, Outcome
from csm_academy.questions.compare import BrokenRule
from csm_academy.questions.question import _MISSING, Attempt
from tests import nbtools
from tests.answers.save_or_let_go import ALWAYS_EQUAL, COPIED_NUMBER, READS_OWN_BOOK, WRONG

SOURCE = nbtools.load(nbtools.EXERCISES / lesson.ASSIGNMENT / f"{lesson.ASSIGNMENT}.ipynb")
REFERENCE = {"imports": "import pandas as pd\n", **nbtools.reference_code(SOURCE)}
HIDDEN_SEEDS = (7340123, 5128841)
JUDGEMENT = ("q3_triage", "q4_fit_gap", "q5_save_plan")
REQUIRED = {
    "triage_on_health_alone",
    "save_regardless_of_fit",
    "discount_as_lever",
    "save_never_at_risk",
    "save_biggest_first",
}


@pytest.fixture(scope="module")
def ex():
    return lesson.exercise()


@pytest.fixture(scope="module")
def ns(ex):
    """The reference answers, run as a notebook would run them, with the setup cell's tables in scope."""
    out = nbtools.exec_answers(REFERENCE)
    out.update(ex=ex, renewals=lesson.renewals_view(ex.book), desk=lesson.save_desk(ex.book))
    return out


def _fn(code: str, name: str, ex=None):
    space = nbtools.exec_answers({**REFERENCE, "_": code})
    if ex is not None:
        space.update(ex=ex, renewals=lesson.renewals_view(ex.book), desk=lesson.save_desk(ex.book))
    return space[name]


def _q(qid: str):
    return next(q for q in lesson.QUESTIONS if q.qid == qid)


def test_exercise_has_at_least_six_graded_questions_with_points():
    assert len(lesson.QUESTIONS) >= 6
    assert all(q.points > 0 for q in lesson.QUESTIONS)
    assert sum(q.points for q in lesson.QUESTIONS) == 19


def test_the_visible_book_is_the_exercise_seed_and_hidden_books_are_other_seeds(ex):
    assert ex.book.accounts.equals(ca.generate_book(lesson.LESSON.seed, 2000).accounts)
    assert lesson.LESSON.seed not in HIDDEN_SEEDS


@pytest.mark.parametrize("q", lesson.QUESTIONS, ids=lambda q: q.qid)
def test_reference_solution_is_correct_on_visible_and_hidden_books(ex, ns, q):
    assert ex.question(q.qid).evaluate(ns[q.answer], ex.book).outcome is Outcome.CORRECT
    n = lesson.JUDGEMENT_ACCOUNTS if q.qid in JUDGEMENT else 300
    ex.grade_hidden(q.qid, seeds=HIDDEN_SEEDS, n_accounts=n, answer=ns[q.answer])  # raises if any case fails


@pytest.mark.parametrize("mid", sorted(WRONG))
def test_each_misconception_is_named_with_its_own_message(ex, mid):
    qid, code = WRONG[mid]
    q = _q(qid)
    feedback = q.evaluate(_fn(code, q.answer), ex.book)
    assert feedback.outcome is Outcome.INCORRECT
    assert feedback.misconception == mid
    assert feedback.message == lesson.MISCONCEPTIONS[mid].message
    assert feedback.points == 0


@pytest.mark.parametrize("mid", sorted(WRONG))
def test_each_misconception_also_fails_on_the_hidden_books(ex, mid):
    qid, code = WRONG[mid]
    n = lesson.JUDGEMENT_ACCOUNTS if qid in JUDGEMENT else 300
    with pytest.raises(CheckFailed) as failed:
        ex.grade_hidden(qid, seeds=HIDDEN_SEEDS, n_accounts=n, answer=_fn(code, _q(qid).answer))
    assert failed.value.feedback.misconception == mid


def test_every_listed_misconception_has_a_trainee_style_answer():
    listed = {m.id for q in lesson.QUESTIONS for m in q.misconceptions}
    assert listed == set(WRONG)
    assert listed >= REQUIRED


def test_misconception_messages_are_distinct():
    messages = [m.message for m in lesson.MISCONCEPTIONS.values()]
    assert len(messages) == len(set(messages))


@pytest.mark.parametrize("qid", sorted(READS_OWN_BOOK))
def test_reading_the_trainees_own_book_passes_its_check_but_not_the_unseen_books(ex, qid):
    name, code = READS_OWN_BOOK[qid]
    answer = _fn(code, name, ex)
    assert ex.question(qid).evaluate(answer, ex.book).outcome is Outcome.CORRECT
    with pytest.raises(CheckFailed):
        ex.grade_hidden(qid, seeds=HIDDEN_SEEDS, n_accounts=lesson.JUDGEMENT_ACCOUNTS, answer=answer)


def test_the_judgement_questions_are_judged_against_truth_the_trainee_function_never_receives(ex):
    seen: set[str] = set()

    def spy(*args):
        seen.update(c for a in args if hasattr(a, "columns") for c in a.columns)
        return []

    book = ca.generate_book(11, 300)
    for q in lesson.QUESTIONS:
        q.evaluate(spy, book)
    assert not seen & {"fit", "root_cause", "churn_risk", "savable", "outcome_attained", "save_was_real"}
    assert not {"outcome", "arr_after", "csm_forecast", "churned"} & set(lesson.pipeline(book).columns)
    assert not {"outcome", "arr_after"} & set(lesson.save_desk(book).columns)


def test_health_only_triage_fails_whatever_its_thresholds(ex):
    q = ex.question("q3_triage")
    pipe = lesson.pipeline(ex.book)
    for cuts in ((75, 60, 45), (60, 50, 40), (85, 70, 55), (55, 52, 50)):
        feedback = q.judge(Attempt("ok", renewal.health_only_calls(pipe, cuts)), ex.book)
        assert feedback.outcome is Outcome.INCORRECT and feedback.misconception == "triage_on_health_alone", cuts


def test_a_forecast_that_just_misses_the_bar_is_told_its_figures(ex):
    # The CSM's own call, made mostly from logins, is a fair forecaster's worst case.
    ren = ex.book.renewals.set_index("account_id")["csm_forecast"].astype(str)
    feedback = ex.q3_triage.feedback(lambda pipeline: ren.reindex(pipeline["account_id"]))
    assert feedback.outcome is Outcome.INCORRECT
    assert "of the ARR that churned" in feedback.message and "balanced accuracy" in feedback.message


def test_the_triage_bar_is_the_course_triage_less_the_margin_and_the_course_triage_passes(ex):
    bar = lesson.triage_bar(ex.book)
    assert isinstance(bar, TriageBar) and bar.bar == pytest.approx(bar.reference["balanced_accuracy"] - 0.08)
    calls = Forecast().coerce(renewal.triage(lesson.pipeline(ex.book)))
    assert Forecast().same(calls, bar)
    # The dashboard's login-heavy score is clearly worse than the signals on the same book.
    health = renewal.forecast_scores(renewal.health_only_calls(lesson.pipeline(ex.book)), bar.arr_due, bar.churned)
    assert health["balanced_accuracy"] < bar.reference["balanced_accuracy"] - 0.05


def test_unknown_calls_are_explained(ex):
    answer = lambda pipeline: pd.Series("maybe", index=pipeline["account_id"])  # noqa: E731
    feedback = ex.q3_triage.feedback(answer)
    assert feedback.misconception == "wrong_shape" and "commit, likely, at-risk, lost" in feedback.message


def test_fit_flags_report_what_they_caught(ex):
    feedback = ex.q4_fit_gap.feedback(lambda pipeline: pd.Series(False, index=pipeline["account_id"]))
    assert feedback.outcome is Outcome.INCORRECT and "caught 0 of" in feedback.message


def test_plan_bar_never_asks_more_than_the_course_plan_keeps(ex):
    bar = lesson.plan_bar(ex.book)
    assert isinstance(bar, HoursBar)
    desk = lesson.save_desk(ex.book)
    course = tuple(sorted(renewal.plan(desk, bar.budget)))
    assert SavePlan().same(course, bar)
    assert bar.barred and bar.best >= bar.kept(course) >= bar.bar
    assert SavePlan().same(tuple(sorted(bar.barred))[:1], BrokenRule("fit_gap", bar))


def test_an_empty_plan_keeps_nothing_and_is_told_so(ex):
    feedback = ex.q5_save_plan.feedback(lambda desk, budget: [])
    assert feedback.outcome is Outcome.INCORRECT and feedback.misconception is None
    assert "expected to keep 0 dollars" in feedback.message


def test_a_plan_may_come_back_as_a_series_a_set_or_an_array(ex, ns):
    q = ex.q5_save_plan
    for wrap in (set, pd.Series, np.array, tuple):
        answer = lambda desk, budget, wrap=wrap: wrap(ns["save_plan"](desk, budget))  # noqa: E731
        assert q.feedback(answer).outcome is Outcome.CORRECT, wrap


def test_any_discount_anywhere_is_named_as_the_discount_lever(ex, ns):
    def one_discount(desk):
        levers = ns["save_lever"](desk)
        levers.iloc[0] = "Discount 20%"
        return levers

    feedback = ex.q6_save_lever.feedback(one_discount)
    assert feedback.misconception == "discount_as_lever"
    assert isinstance(lesson.MISCONCEPTIONS["discount_as_lever"].produce(ex.book), UsesLabel)


def test_untouched_stub_reads_as_not_attempted(ex):
    stub = _fn("def triage(pipeline):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n", "triage")
    assert ex.q3_triage.feedback(stub).outcome is Outcome.NOT_ATTEMPTED


def test_missing_function_reads_as_not_attempted(ex):
    assert ex.q5_save_plan.feedback(_MISSING).outcome is Outcome.NOT_ATTEMPTED


def test_copied_figures_pass_the_visible_check_but_fail_hidden_books(ex):
    value = renewal.surprises(lesson.renewals_view(ex.book))
    copied = _fn(COPIED_NUMBER.format(value=value), "surprises")
    assert ex.q2_surprises.feedback(copied).outcome is Outcome.CORRECT
    with pytest.raises(CheckFailed):
        ex.grade_hidden("q2_surprises", seeds=HIDDEN_SEEDS, answer=copied)


def test_copied_plan_from_the_visible_book_fails_hidden_books(ex):
    desk = lesson.save_desk(ex.book)
    chosen = renewal.plan(desk, lesson.hours_budget(desk))
    copied = _fn(f"def save_plan(desk, budget):\n    return {chosen!r}\n", "save_plan")
    assert ex.q5_save_plan.feedback(copied).outcome is Outcome.CORRECT
    with pytest.raises(CheckFailed):
        ex.grade_hidden("q5_save_plan", seeds=HIDDEN_SEEDS, n_accounts=2000, answer=copied)


def test_object_claiming_to_equal_everything_fails(ex):
    feedback = ex.q2_surprises.feedback(_fn(ALWAYS_EQUAL, "surprises"))
    assert feedback.outcome is Outcome.INCORRECT and feedback.misconception == "wrong_shape"


def test_calling_the_course_reference_is_not_accepted(ex):
    code = "from csm_academy.metrics import renewal as m\ndef triage(pipeline):\n    return m.triage(pipeline)\n"
    assert ex.q3_triage.feedback(_fn(code, "triage")).misconception == "borrowed_reference"


def test_reference_answers_survive_the_graders_round_trip(ex, ns):
    from csm_academy.questions import wire

    for q in lesson.QUESTIONS:
        result = ns[q.answer](*q.inputs(ex.book.observable()))
        decoded = wire.decode(wire.encode(result))
        expected = q.compare.coerce(q.reference(ex.book))
        assert q.compare.same(q.compare.coerce(decoded), expected), q.qid


def test_the_save_desk_and_claims_are_consistent_with_the_book(ex):
    desk = lesson.save_desk(ex.book)
    assert set(desk["call"]) <= set(renewal.RISK_CALLS) and desk["account_id"].is_unique
    assert set(desk["customer_says"]) <= set(lesson.STATED_REASONS)
    assert (desk["hours_needed"] == desk["segment"].map(renewal.SAVE_HOURS)).all()
    claim = lesson.claims(ex.book)
    claimed = ex.book.renewals.loc[ex.book.renewals["csm_claimed_save"], "account_id"]
    assert sorted(claim["account_id"]) == sorted(claimed)
    # Over half the claimed saves were renewals the signals never called at risk.
    assert renewal.real_saves(claim).mean() < 0.5


def test_practice_questions_check_and_show_solutions():
    practice = lesson.practice(ca.load_book("starter-500", with_truth=True))
    assert practice.p1_early_warning_weeks.feedback(16 / 7).correct
    assert practice.p1_early_warning_weeks.feedback(30 / 7).misconception == "forgot_the_paperwork"
    assert practice.p2_bad_fit_lever.feedback("discount").misconception == "discount_as_lever"
    assert practice.p2_bad_fit_lever.feedback("clean exit").correct
    ns = nbtools.exec_answers({"pd": "import pandas as pd\n"})
    for qid in ("p_surprises", "p_real_saves"):
        q = practice.question(qid)
        exec(q.solution_code, ns)
        assert getattr(practice, qid).feedback(ns[q.answer]).correct, qid


def test_the_pipeline_is_built_once_per_book_and_handed_out_as_a_copy(monkeypatch):
    built = []
    build = handout._pipeline
    monkeypatch.setattr(handout, "_pipeline", lambda book: built.append(book) or build(book))
    book = ca.generate_book(12, 300)
    first = lesson.pipeline(book)
    first["arr_due"] = -1  # a caller spoiling its copy spoils nobody else's
    second = lesson.pipeline(book)
    assert len(built) == 1 and (second["arr_due"] > 0).all()
    other = ca.generate_book(13, 300)
    assert not lesson.pipeline(other).equals(second) and len(built) == 2


def test_a_cached_pipeline_does_not_keep_its_book_alive():
    book = ca.generate_book(12, 300)
    lesson.pipeline(book)
    accounts = weakref.ref(book.accounts)
    del book
    gc.collect()
    assert accounts() is None
