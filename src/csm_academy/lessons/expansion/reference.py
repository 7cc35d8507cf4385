"""Module 3's reference answers: the rules applied to the trainee's tables, and the bar a choice must reach.

The references use only the book's records, so the same answer is right on every book; only the
judgement question's bar (``choice_bar``) needs how each opportunity fared at its next renewal.
"""

from __future__ import annotations

import pandas as pd

from csm_academy.book.book import Book
from csm_academy.lessons.expansion.compare import ChoiceBar
from csm_academy.lessons.expansion.handout import capacity_inputs, closed_pipeline, renewals_view
from csm_academy.metrics import expansion

#: The judgement question's bar: keep this share of the durable ARR the best choice of workable
#: opportunities would have kept...
BEST_SHARE = 0.70
#: ...or, on a book where luck puts that out of reach even for the course's own choice, this share of
#: what the course's choice keeps. Over 200 generated books of 300 accounts the cap decided 1 in 100
#: (3 in 100 without Enterprise accounts); working every pursue before any maybe passed on about 3 in 10.
COURSE_SHARE = 0.90


def utilisation_of(accounts: pd.DataFrame, usage: pd.DataFrame) -> pd.Series:
    """Mean monthly active users / seats purchased, per account_id."""
    return expansion.seat_utilisation(accounts, usage)


def criteria_on_sheet(sheet: pd.DataFrame) -> pd.Series:
    """Criteria met per opportunity_id, counted from the sheet's value_proven, real_use_case, sponsor_funded."""
    frame = sheet.set_index("opportunity_id")
    return frame["value_proven"].astype(int) + frame["real_use_case"].astype(int) + frame["sponsor_funded"].astype(int)


def verdict_sheet_of(sheet: pd.DataFrame) -> pd.Series:
    """pursue / maybe / no per opportunity_id, from the sheet's value_proven, real_use_case, sponsor_funded."""
    return expansion.verdicts(criteria_on_sheet(sheet))


def choice_bar(book: Book) -> ChoiceBar:
    """What a choice of motions is judged against on this book (needs the closed outcomes: grader side)."""
    pipe, capacity = capacity_inputs(book)
    durable = expansion.durable_arr(closed_pipeline(book), renewals_view(book))
    qualified = expansion.qualify(pipe)
    barred = frozenset(int(i) for i in qualified.loc[qualified["verdict"] == "no", "opportunity_id"])
    workable = durable[~durable.index.isin(list(barred))]
    course = expansion.durable_of(expansion.choose_motions(pipe, capacity), durable)
    bar = min(BEST_SHARE * expansion.best_durable(workable, capacity), COURSE_SHARE * course)
    return ChoiceBar(
        durable={int(k): float(v) for k, v in durable.items()}, capacity=capacity, barred=barred, bar=float(bar)
    )
