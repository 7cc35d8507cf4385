"""Module 4's bars: what a forecast, fit-gap flags and a save plan must reach, judged against the truth.

The judgement questions (triage, fit gaps, the save plan) are judged against the book's hidden truth on
books the trainee never saw, outside their kernel; the rule questions' references are metrics functions
applied to the handed tables (see ``questions``).
"""

from __future__ import annotations

import pandas as pd

from csm_academy.book.book import Book
from csm_academy.lessons.save_or_let_go.compare import FlagBar, HoursBar, TriageBar
from csm_academy.lessons.save_or_let_go.handout import pipeline, plan_inputs
from csm_academy.metrics import renewal, situations

#: The triage question's bar: balanced accuracy (in ARR) within this much of the course's triage on the same book.
TRIAGE_MARGIN = 0.08
#: The fit-gap question's bar: F1 within this much of the course's two-of-three-clues rule.
FIT_MARGIN = 0.10
#: The save plan's bar: this share of the best plan's expected kept ARR, or of the course plan's if lower.
BEST_SHARE = 0.70
COURSE_SHARE = 0.90


def churned_at_renewal(book: Book, ids: pd.Index) -> pd.Series:
    """Whether each account in ``ids`` churned at its renewal (what a forecast is scored on)."""
    outcome = book.renewals.set_index("account_id")["outcome"].astype(str)
    return (outcome.reindex(ids) == "churned").astype(bool)


def triage_bar(book: Book, rule: str | None = None) -> TriageBar:
    """What a forecast must reach on ``book``: the course triage's balanced accuracy less the margin."""
    pipe = pipeline(book)
    frame = pipe.set_index("account_id").sort_index()
    churned = churned_at_renewal(book, frame.index)
    reference = renewal.forecast_scores(renewal.triage(pipe), frame["arr_due"].astype(float), churned)
    return TriageBar(
        arr_due=frame["arr_due"].astype(float),
        churned=churned,
        health=frame["health_score"].astype(float),
        bar=reference["balanced_accuracy"] - TRIAGE_MARGIN,
        reference=reference,
        rule=rule,
    )


def truth_by_account(book: Book) -> pd.DataFrame:
    """The hidden truth indexed by account_id (the judgement questions' bars need it)."""
    return situations.need_truth(book).set_index("account_id")


def fit_bar(book: Book) -> FlagBar:
    """What fit-gap flags must reach on ``book``: the course rule's F1 against the truth, less the margin."""
    pipe = pipeline(book)
    ids = pd.Index(sorted(pipe["account_id"]), name="account_id")
    truth = (truth_by_account(book)["fit"].astype(str) == "mis-sold").reindex(ids).fillna(False).astype(bool)
    course = FlagBar(truth, 0.0, 0.0).f1(renewal.fit_gap(pipe).reindex(ids).astype(bool))
    return FlagBar(truth=truth, bar=course - FIT_MARGIN, reference_f1=course)


def plan_bar(book: Book) -> HoursBar:
    """What a save plan must keep on ``book``: expected ARR from the truth, against the best plan possible."""
    desk, budget = plan_inputs(book)
    value = renewal.save_value(desk, book.truth)
    hours = desk.set_index("account_id")["hours_needed"]
    barred = frozenset(int(i) for i in desk.loc[desk["fit_gap"], "account_id"])
    allowed = value[~value.index.isin(list(barred))]
    best = renewal.best_plan_value(allowed, hours, budget)
    course = float(value.reindex(renewal.plan(desk, budget)).sum())
    return HoursBar(
        value={int(k): float(v) for k, v in value.items()},
        hours={int(k): int(v) for k, v in hours.items()},
        budget=int(budget),
        barred=barred,
        bar=float(min(BEST_SHARE * best, COURSE_SHARE * course)),
        best=float(best),
    )
