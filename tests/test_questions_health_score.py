"""Module 2's questions, checked in-process: right answers pass, each known mistake is named, and the
holdout question is graded on books the trainee never saw."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd
import pytest

import csm_academy as ca
from csm_academy import iranian_churn
from csm_academy.lessons import health_score
from csm_academy.metrics import health
from csm_academy.questions import CheckFailed, Outcome
from csm_academy.questions.question import _MISSING
from tests import nbtools
from tests.answers.health_score import (
    ALWAYS_EQUAL,
    COPIED_NUMBER,
    DASHBOARD_AS_IS,
    VISIBLE_OUTCOME_BUMP,
    WRONG,
)

SOURCE_PATH = nbtools.EXERCISES / health_score.ASSIGNMENT / f"{health_score.ASSIGNMENT}.ipynb"
SOURCE = nbtools.load(SOURCE_PATH)
REFERENCE = nbtools.reference_code(SOURCE)
SETUP = next(nbtools.source(c) for c in SOURCE["cells"] if nbtools.nbgrader_meta(c).get("grade_id") == "setup")


def _hidden_calls() -> dict[str, tuple[list[int], int]]:
    """The seeds (and book size) each hidden test uses, read from the exercise source."""
    calls = {}
    for cell in SOURCE["cells"]:
        m = re.search(r'grade_hidden\("(\w+)", seeds=\[([\d, ]+)\](?:, n_accounts=(\d+))?\)', nbtools.source(cell))
        if m:
            calls[m.group(1)] = ([int(s) for s in m.group(2).split(",")], int(m.group(3) or 300))
    return calls


HIDDEN = _hidden_calls()


@pytest.fixture(scope="module")
def ex():
    return health_score.exercise()


@pytest.fixture(scope="module")
def visible_ns():
    """The setup cell and the reference answers, run as the notebook would run them."""
    return nbtools.exec_answers({"setup": SETUP, **REFERENCE})


def _fn(code: str, name: str):
    return nbtools.exec_answers({"setup": SETUP, **REFERENCE, "_": code})[name]


def _hidden(ex, qid: str, answer) -> None:
    seeds, n = HIDDEN[qid]
    ex.grade_hidden(qid, seeds=seeds, n_accounts=n, answer=answer)


# --- The exercise as a whole ------------------------------------------------------------------------


def test_exercise_has_at_least_six_graded_questions_with_points():
    assert len(health_score.QUESTIONS) >= 6
    assert all(q.points > 0 for q in health_score.QUESTIONS)
    assert sum(q.points for q in health_score.QUESTIONS) == 16


def test_every_question_has_a_hidden_test_in_the_source():
    assert set(HIDDEN) == {q.qid for q in health_score.QUESTIONS}


def test_hidden_seeds_live_only_in_the_hidden_tests():
    visible = health_score.LESSON.seed
    folder = nbtools.REPO / "src" / "csm_academy" / "lessons" / "health_score"
    lesson_text = "".join(path.read_text() for path in sorted(folder.glob("*.py")))
    assert "LESSON = Lesson(" in lesson_text  # the folder read is the lesson's
    for seeds, _n in HIDDEN.values():
        assert visible not in seeds
        for seed in seeds:
            assert str(seed) not in lesson_text


@pytest.mark.parametrize("q", health_score.QUESTIONS, ids=lambda q: q.qid)
def test_reference_solution_is_correct_on_visible_and_hidden_books(ex, visible_ns, q):
    assert ex.question(q.qid).evaluate(visible_ns[q.answer], ex.book).outcome is Outcome.CORRECT
    _hidden(ex, q.qid, visible_ns[q.answer])  # raises CheckFailed if any case fails


def test_visible_seed_tells_every_misconception_apart(ex):
    # Why this seed was chosen: each known mistake gives an answer different from the right one and
    # from every other mistake of the same question, so check() can name it.
    for q in health_score.QUESTIONS:
        right = q.compare.coerce(q.reference(ex.book))
        wrongs = [(m.id, q.compare.coerce(m.produce(ex.book))) for m in q.misconceptions]
        for mid, wrong in wrongs:
            assert not q.compare.same(wrong, right), mid
        for (a, wa), (b, wb) in itertools.combinations(wrongs, 2):
            assert not q.compare.same(wa, wb), (a, b)


# --- Misconceptions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mid", sorted(WRONG))
def test_each_misconception_is_named_with_its_own_message(ex, mid):
    qid, code = WRONG[mid]
    q = ex.question(qid)
    feedback = q.evaluate(_fn(code, q.answer), ex.book)
    assert feedback.outcome is Outcome.INCORRECT
    assert feedback.misconception == mid
    assert feedback.message == health_score.MISCONCEPTIONS[mid].message
    assert feedback.points == 0


@pytest.mark.parametrize("mid", sorted(WRONG))
def test_each_misconception_also_fails_the_hidden_tests(ex, mid):
    qid, code = WRONG[mid]
    with pytest.raises(CheckFailed):
        _hidden(ex, qid, _fn(code, ex.question(qid).answer))


def test_every_listed_misconception_has_a_trainee_style_answer():
    listed = {m.id for q in health_score.QUESTIONS for m in q.misconceptions}
    assert listed == set(WRONG)
    required = {
        "score_uses_renewal_result",  # leakage from the renewal result
        "bands_tuned_on_outcomes",  # thresholds tuned on the same data: no churner in green
        "auc_inverted",  # higher score = more churn
        "lead_time_wrong_direction",  # measured from the churn date backwards, wrong sign
        "lead_time_latest_red",  # walked back from the churn date to the latest red month
        "band_churn_by_logos",  # logos when dollars were asked
    }
    assert required <= listed


def test_misconception_messages_are_distinct():
    messages = [m.message for m in health_score.MISCONCEPTIONS.values()]
    assert len(messages) == len(set(messages))


@pytest.mark.parametrize("mid", sorted(WRONG))
def test_feedback_never_reveals_the_expected_value(ex, mid):
    qid, code = WRONG[mid]
    q = ex.question(qid)
    feedback = q.evaluate(_fn(code, q.answer), ex.book)
    text = str(feedback) + feedback._repr_html_()
    expected = q.compare.coerce(q.reference(ex.book))
    numbers = []
    if isinstance(expected, float):
        numbers = [expected]
    elif isinstance(expected, dict) and all(isinstance(v, float) for v in expected.values()):
        numbers = list(expected.values())
    elif isinstance(expected, pd.Series):
        numbers = list(expected.to_numpy()[:5])
    for value in numbers:
        for digits in (2, 3, 4):
            assert f"{value:.{digits}f}" not in text
        assert f"{value:.1%}" not in text
    if isinstance(expected, dict) and expected and isinstance(next(iter(expected.values())), str):
        assert not any(str(account) in feedback.message for account in expected)


# --- Robustness of the checks -------------------------------------------------------------------------


def test_untouched_stub_reads_as_not_attempted(ex):
    stub = _fn("def auc(scores, churned):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n", "auc")
    feedback = ex.question("q3_auc").evaluate(stub, ex.book)
    assert feedback.outcome is Outcome.NOT_ATTEMPTED and feedback.points == 0


def test_missing_function_reads_as_not_attempted(ex):
    assert ex.question("q7_holdout_score").evaluate(_MISSING, ex.book).outcome is Outcome.NOT_ATTEMPTED


def test_copied_number_passes_the_visible_check_but_fails_hidden_books(ex):
    card = health_score.scorecard(ex.book)
    copied = _fn(COPIED_NUMBER.format(value=health.auc(card["health_score"], card["churned"])), "auc")
    assert ex.question("q3_auc").evaluate(copied, ex.book).outcome is Outcome.CORRECT
    with pytest.raises(CheckFailed):
        _hidden(ex, "q3_auc", copied)


def test_object_claiming_to_equal_everything_fails(ex):
    feedback = ex.question("q3_auc").evaluate(_fn(ALWAYS_EQUAL, "auc"), ex.book)
    assert feedback.outcome is Outcome.INCORRECT and feedback.misconception == "wrong_shape"


@pytest.mark.parametrize(
    ("qid", "code"),
    [
        ("q1_composite_score", "def composite_score(card, weights):\n    return 'high'\n"),
        ("q1_composite_score", "def composite_score(card, weights):\n    return card['churned']\n"),
        ("q2_churn_by_band", "def churn_by_band(card):\n    return 0.1\n"),
        ("q6_green_churners", "def green_churners(card):\n    return {10001: 3}\n"),
        ("q7_holdout_score", "def my_health_score(signals):\n    return signals['usage'] * float('nan')\n"),
    ],
)
def test_answers_of_the_wrong_kind_are_explained(ex, qid, code):
    q = ex.question(qid)
    feedback = q.evaluate(_fn(code, q.answer), ex.book)
    assert feedback.outcome is Outcome.INCORRECT and feedback.misconception == "wrong_shape"
    assert "should be" in feedback.message or "has no value" in feedback.message


def test_a_dict_answer_is_accepted_where_a_series_is_asked(ex):
    code = (
        "def composite_score(card, weights):\n"
        "    score = sum(card[c] * w for c, w in weights.items()) / sum(weights.values())\n"
        "    return {int(k): float(v) for k, v in score.items()}\n"
    )
    assert ex.question("q1_composite_score").evaluate(_fn(code, "composite_score"), ex.book).correct


def test_calling_the_course_reference_is_not_accepted(ex):
    code = "from csm_academy.metrics import health as h\ndef auc(scores, churned):\n    return h.auc(scores, churned)\n"
    feedback = ex.question("q3_auc").evaluate(_fn(code, "auc"), ex.book)
    assert feedback.misconception == "borrowed_reference"


def test_trainee_functions_receive_no_hidden_truth(ex):
    seen = {}

    def spy(card):
        seen["columns"] = set(card.columns) | {card.index.name}
        return {}

    ex.question("q6_green_churners").evaluate(spy, ca.generate_book(5, 100))
    assert not seen["columns"] & {"fit", "root_cause", "churn_risk", "savable", "outcome_attained"}
    assert ex.book.truth is None


@pytest.mark.parametrize("book", ["visible", "unseen"])
def test_holdout_function_never_receives_the_renewal_result(ex, book):
    seen = []

    def spy(signals):
        seen.append(set(signals.columns) | {signals.index.name})
        return signals["outcomes"]

    ex.question("q7_holdout_score").evaluate(spy, ex.book if book == "visible" else ca.generate_book(3, 300))
    forbidden = {"churned", "churn_arr", "arr_end", "outcome", "arr_after", "contraction_arr", "expansion_arr"}
    assert seen and not seen[0] & forbidden, seen[0] & forbidden


# --- The holdout question: judged on books the trainee never saw ---------------------------------------


def test_holdout_reference_beats_the_dashboard_by_the_margin_with_room_to_spare():
    seeds, n = HIDDEN["q7_holdout_score"]
    assert n >= 1000  # big books: the verdict should not hinge on a handful of churners
    for seed in seeds:
        book = ca.generate_book(seed, n)
        card = health_score.scorecard(book)
        dashboard = health.auc(card["health_score"], card["churned"])
        outcome = health.auc(health_score.outcome_weighted_score(health_score.holdout_signals(book)), card["churned"])
        assert outcome - dashboard >= health_score.HOLDOUT_MARGIN + 0.03, (seed, dashboard, outcome)


def test_memorising_the_visible_outcomes_is_named_as_leakage_and_fails_holdout(ex):
    memorised = _fn(WRONG["score_uses_renewal_result"][1], "my_health_score")
    visible = ex.question("q7_holdout_score").evaluate(memorised, ex.book)
    assert visible.misconception == "score_uses_renewal_result"
    with pytest.raises(CheckFailed):
        _hidden(ex, "q7_holdout_score", memorised)


def test_a_score_fitted_on_the_visible_outcomes_passes_its_own_book_but_fails_holdout(ex):
    fitted = _fn(VISIBLE_OUTCOME_BUMP, "my_health_score")
    assert ex.question("q7_holdout_score").evaluate(fitted, ex.book).outcome is Outcome.CORRECT
    with pytest.raises(CheckFailed) as failed:
        _hidden(ex, "q7_holdout_score", fitted)
    assert failed.value.feedback.hidden and failed.value.feedback.points == 0


def test_the_dashboard_score_itself_does_not_pass(ex):
    feedback = ex.question("q7_holdout_score").evaluate(_fn(DASHBOARD_AS_IS, "my_health_score"), ex.book)
    assert feedback.outcome is Outcome.INCORRECT and feedback.misconception is None
    with pytest.raises(CheckFailed):
        _hidden(ex, "q7_holdout_score", _fn(DASHBOARD_AS_IS, "my_health_score"))


def test_weights_tuned_honestly_on_the_visible_book_do_generalise(ex):
    # Fitting weights on the visible book is fine as long as only signals go into the score.
    card = health_score.scorecard(ex.book)
    names = ["usage", "adoption", "sentiment", "engagement", "outcomes"]
    best = max(
        (dict(zip(names, w, strict=True)) for w in itertools.product((0, 1, 3), repeat=len(names)) if any(w)),
        key=lambda w: health.auc(health.composite(card, w), card["churned"]),
    )
    code = f"W = {best!r}\ndef my_health_score(signals):\n    return sum(signals[c] * w for c, w in W.items())\n"
    _hidden(ex, "q7_holdout_score", _fn(code, "my_health_score"))


# --- The trainee-facing AUC agrees with a trusted implementation -----------------------------------------


@pytest.mark.parametrize("seed", [2025, 11, 52817])
def test_trainee_auc_agrees_with_scikit_learn_on_generated_books(visible_ns, seed):
    from sklearn.metrics import roc_auc_score

    card = health_score.scorecard(ca.generate_book(seed, 500))
    for scores in (card["health_score"], health.composite(card, health.OUTCOME_WEIGHTS), card["logins"]):
        ours = visible_ns["auc"](scores, card["churned"])
        assert ours == pytest.approx(roc_auc_score(~card["churned"], scores), abs=1e-12)


def test_trainee_auc_agrees_with_scikit_learn_on_the_real_data(visible_ns):
    from sklearn.metrics import roc_auc_score

    customers = iranian_churn.load_iranian_churn()
    components = iranian_churn.health_components(customers)
    for weights in (iranian_churn.VALUE_WEIGHTS, iranian_churn.TENURE_WEIGHTS):
        scores = health.composite(components, weights)
        ours = visible_ns["auc"](scores, customers["churned"])
        assert ours == pytest.approx(roc_auc_score(~customers["churned"], scores), abs=1e-12)


# --- Practice questions of the teaching notebook ----------------------------------------------------


def test_practice_five_account_auc_is_five_and_a_half_pairs_out_of_six():
    practice = health_score.practice(ca.load_book("starter-500", with_truth=True))
    assert practice.p2_five_account_auc.feedback(5.5 / 6).correct
    assert practice.p2_five_account_auc.feedback(5 / 6).misconception == "auc_ties_ignored"
    assert practice.p2_five_account_auc.feedback(1 - 5.5 / 6).misconception == "auc_inverted"
    assert practice.p2_five_account_auc.feedback(1.0).misconception == "auc_ties_as_wins"


def test_practice_solutions_are_right_on_the_teaching_book():
    book = ca.load_book("starter-500", with_truth=True)
    practice = health_score.practice(book)
    card = health_score.scorecard(book)
    ns = {"card": card, "np": np, "pd": pd, "__name__": "__main__"}
    for qid in ("p1_green_dollar_churn", "p_auc"):
        q = practice.question(qid)
        exec(q.solution_code, ns)
        answer = ns[q.answer]
        assert q.evaluate(answer, book).correct, qid


# --- The views a check builds: once per book, handed out as copies, never keeping a book alive ------------


def test_views_are_built_once_per_book_and_handed_out_as_copies(monkeypatch):
    from csm_academy.lessons.health_score import handout

    builds = []
    build = handout._build_scorecard
    monkeypatch.setattr(handout, "_build_scorecard", lambda book: builds.append(1) or build(book))
    book = ca.generate_book(5, 100)
    first = health_score.scorecard(book)
    first["health_score"] = -1  # a caller scribbling on its own copy
    second = health_score.scorecard(book)
    assert len(builds) == 1
    assert (second["health_score"] >= 0).all()
    assert health_score.holdout_signals(book).index.equals(second.index) and len(builds) == 1


def test_views_of_a_book_go_when_the_book_goes():
    import gc
    import weakref

    book = ca.generate_book(6, 100)
    health_score.scorecard(book)
    health_score.monthly_scores(book)
    gone = weakref.ref(book)
    del book
    gc.collect()
    assert gone() is None
