"""What the module 2 trainee is handed: the CS platform's scorecard, the dashboard's monthly scores, the signals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from csm_academy.book.book import Book
from csm_academy.lessons.views import applied
from csm_academy.metrics import health
from csm_academy.questions.memo import view_of

#: The weights behind the dashboard's health score (login-heavy, as many teams start out).
DASHBOARD_WEIGHTS: dict[str, float] = dict(health.VANITY_WEIGHTS)
#: Columns that record what happened at the renewal: never handed to the holdout question.
OUTCOME_COLUMNS: tuple[str, ...] = ("churned", "churn_arr")
CARD_COLUMNS: tuple[str, ...] = (
    "name",
    "segment",
    "renewal_date",
    "arr_due",
    *health.COMPONENTS,
    "health_score",
    "champion_left_on",
    "buyer_last_contact",
    "contacts_engaged",
    "milestones_hit",
    "milestones_planned",
    *OUTCOME_COLUMNS,
)


def scorecard(book: Book) -> pd.DataFrame:
    """The CS platform's account export per account_id: components, dashboard score, stakeholders, result."""
    # Built once per book (view_of); a copy, so no caller can alter what another caller is handed.
    return view_of(book, "card", _build_scorecard).copy()


def _build_scorecard(book: Book) -> pd.DataFrame:
    acc = book.accounts.set_index("account_id")
    components = health.account_components(book, monthly=_monthly_components(book)).round(1)
    st = book.stakeholders.set_index("account_id").reindex(acc.index)
    card = pd.DataFrame(index=acc.index)
    card["name"] = acc["name"].astype(str)
    card["segment"] = acc["segment"].astype(str)
    card["renewal_date"] = acc["renewal_date"]
    card["arr_due"] = book.renewals.set_index("account_id")["arr_due"].reindex(acc.index).astype("int64")
    for c in health.COMPONENTS:
        card[c] = components[c]
    card["health_score"] = health.composite(card[list(health.COMPONENTS)], DASHBOARD_WEIGHTS).round().astype("int64")
    for c in ("champion_left_on", "buyer_last_contact", "contacts_engaged"):
        card[c] = st[c]
    card["milestones_hit"] = acc["milestones_hit"]
    card["milestones_planned"] = acc["milestones_planned"]
    card["churned"] = acc["churned"].astype(bool)
    card["churn_arr"] = acc["churn_arr"].astype("int64")
    card.index.name = "account_id"
    return card[list(CARD_COLUMNS)]


def monthly_scores(book: Book) -> pd.DataFrame:
    """The dashboard's monthly history: one row per account and month, health_score in whole points."""
    return view_of(book, "monthly", _build_monthly).copy()


def _build_monthly(book: Book) -> pd.DataFrame:
    monthly = _monthly_components(book)
    components = monthly[list(health.COMPONENTS)].round(1)
    usage = book.usage.sort_values(["account_id", "month"], kind="stable").reset_index(drop=True)
    return pd.DataFrame(
        {
            "account_id": monthly["account_id"],
            "month": monthly["month"],
            "active_users": usage["active_users"].to_numpy(),
            "health_score": health.composite(components, DASHBOARD_WEIGHTS).round().astype("int64"),
        }
    )


def _monthly_components(book: Book) -> pd.DataFrame:
    # The scorecard and the monthly scores both start from these: built once per book, changed by neither.
    return view_of(book, "monthly components", health.monthly_components)


def holdout_signals(book: Book) -> pd.DataFrame:
    """The scorecard with every renewal-result column removed: all a forward-looking score may use."""
    return scorecard(book).drop(columns=list(OUTCOME_COLUMNS))


def card_inputs(book: Book) -> tuple[pd.DataFrame]:
    """What a scorecard question hands the trainee's function: the scorecard."""
    return (scorecard(book),)


def composite_inputs(book: Book) -> tuple[pd.DataFrame, dict[str, float]]:
    """What the composite question hands over: the scorecard and the dashboard\'s weights."""
    return scorecard(book), dict(DASHBOARD_WEIGHTS)


def auc_inputs(book: Book) -> tuple[pd.Series, pd.Series]:
    """What the AUC question hands over: the dashboard score and who churned."""
    card = scorecard(book)
    return card["health_score"].copy(), card["churned"].copy()


def lead_inputs(book: Book) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the lead-time question hands over: the monthly scores and the scorecard."""
    return monthly_scores(book), scorecard(book)


def signal_inputs(book: Book) -> tuple[pd.DataFrame]:
    """What the holdout question hands over: the signals only, no renewal result."""
    return (holdout_signals(book),)


def on_card(fn: Callable[[pd.DataFrame], Any]) -> Callable[[Book], Any]:
    """``fn`` run on a book's scorecard, as a question runs a reference or a known mistake."""
    return applied(card_inputs, fn)


def on_auc(fn: Callable[[pd.Series, pd.Series], Any]) -> Callable[[Book], Any]:
    """``fn`` run on a book's dashboard scores and churn flags, as the AUC question runs it."""
    return applied(auc_inputs, fn)


def on_lead(fn: Callable[[pd.DataFrame, pd.DataFrame], Any]) -> Callable[[Book], Any]:
    """``fn`` run on a book's monthly scores and scorecard, as the lead-time question runs it."""
    return applied(lead_inputs, fn)
