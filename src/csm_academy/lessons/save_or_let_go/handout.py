"""What module 4 hands the trainee: renewals, the renewal pipeline, the save desk and the claimed saves.

Trainees see what a CSM sees going into the forecast call: each renewal's signals (health, sponsorship,
value attainment, competition, fit clues), and afterwards what happened. Each question's ``inputs``
builder is here too: what that question's function is called with.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csm_academy.book.book import Book
from csm_academy.lessons.views import plain_text
from csm_academy.metrics import expansion, health, renewal
from csm_academy.questions.memo import view_of

RENEWAL_COLUMNS = (
    "account_id",
    "name",
    "segment",
    "csm",
    "renewal_date",
    "arr_due",
    "csm_forecast",
    "outcome",
    "arr_after",
)
PIPELINE_COLUMNS = (
    "account_id",
    "name",
    "segment",
    "industry",
    "csm",
    "renewal_date",
    "arr_due",
    "health_score",
    "seat_utilisation",
    "milestones_hit",
    "milestones_planned",
    "onboarding_days",
    "champion_in_place",
    "days_since_buyer_met",
    "contacts_engaged",
    "competitor_mentioned",
    "tickets",
    "missing_feature_tickets",
)
DESK_COLUMNS = (
    "account_id",
    "name",
    "segment",
    "arr_due",
    "call",
    "health_score",
    "seat_utilisation",
    "milestones_hit",
    "milestones_planned",
    "champion_in_place",
    "days_since_buyer_met",
    "contacts_engaged",
    "competitor_mentioned",
    "fit_gap",
    "sponsor_reachable",
    "customer_says",
    "hours_needed",
)
CLAIM_COLUMNS = ("account_id", "name", "segment", "arr_due", "csm_forecast", "triage_call", "save_play_run", "outcome")
#: What customers on the save desk say when they give notice; price is said far more often than it is true.
STATED_REASONS = ("too expensive", "missing features", "not getting value")


def renewals_view(book: Book) -> pd.DataFrame:
    """Each account's 2025 renewal: ARR due, the CSM's call 120 days out, and what happened."""
    ren = book.renewals.merge(book.accounts[["account_id", "name", "segment", "csm"]], on="account_id", how="left")
    return plain_text(ren[list(RENEWAL_COLUMNS)]).reset_index(drop=True)


def pipeline(book: Book) -> pd.DataFrame:
    """The renewal pipeline going into the forecast call: one row per renewal, signals only, no outcome."""
    # Built once per book (view_of); a copy each time: callers (and trainees' functions) may change it.
    return view_of(book, "pipeline", _pipeline).copy()


def _pipeline(book: Book) -> pd.DataFrame:
    acc = book.accounts.set_index("account_id")
    st = book.stakeholders.set_index("account_id").reindex(acc.index)
    ren = book.renewals.set_index("account_id").reindex(acc.index)
    tickets = book.tickets
    missing = tickets["category"].astype(str) == "missing feature"
    out = pd.DataFrame(index=acc.index)
    out["name"] = acc["name"]
    out["segment"] = acc["segment"]
    out["industry"] = acc["industry"]
    out["csm"] = acc["csm"]
    out["renewal_date"] = acc["renewal_date"]
    out["arr_due"] = ren["arr_due"].fillna(acc["arr_start"]).astype("int64")
    out["health_score"] = (
        health.composite(health.account_components(book), health.VANITY_WEIGHTS).reindex(acc.index).round(1)
    )
    out["health_score"] = out["health_score"].fillna(0.0)
    util = expansion.seat_utilisation(book.accounts[["account_id", "seats_purchased"]], book.usage)
    out["seat_utilisation"] = util.reindex(acc.index).fillna(0.0).round(3)
    out["milestones_hit"] = acc["milestones_hit"]
    out["milestones_planned"] = acc["milestones_planned"]
    out["onboarding_days"] = acc["onboarding_days"]
    out["champion_in_place"] = st["champion_left_on"].isna()
    out["days_since_buyer_met"] = (acc["renewal_date"] - st["buyer_last_contact"]).dt.days.fillna(999).astype("int64")
    out["contacts_engaged"] = st["contacts_engaged"].fillna(1).astype("int64")
    out["competitor_mentioned"] = ren["competitor_mentioned"].fillna(False).astype(bool)
    out["tickets"] = tickets.groupby("account_id").size().reindex(acc.index, fill_value=0).astype("int64")
    out["missing_feature_tickets"] = (
        tickets[missing].groupby("account_id").size().reindex(acc.index, fill_value=0).astype("int64")
    )
    return plain_text(out.reset_index()[list(PIPELINE_COLUMNS)])


def _unit_hash(ids: pd.Series) -> np.ndarray:
    """A fixed pseudo-random number in [0, 1) per account id (Knuth's multiplicative hash)."""
    return ((ids.to_numpy(np.uint64) * np.uint64(2654435761)) % np.uint64(2**32)).astype(float) / 2**32


def customer_says(desk: pd.DataFrame) -> pd.Series:
    """What each customer on the desk said when giving notice, per account_id.

    Mis-sold customers mostly blame missing features; everyone else says price about as often as
    anything else, which is why the stated reason alone never picks the lever.
    """
    u = _unit_hash(desk["account_id"])
    fit_gap = desk["fit_gap"].to_numpy(bool)
    said = np.where(
        fit_gap,
        np.where(u < 0.7, "missing features", "too expensive"),
        np.where(u < 0.4, "too expensive", np.where(u < 0.65, "missing features", "not getting value")),
    )
    return pd.Series(said, index=desk["account_id"].to_numpy(), dtype=object)


def save_desk(book: Book) -> pd.DataFrame:
    """Renewals the course's triage calls at-risk or lost, with fit, sponsor, what the customer says, and hours."""
    pipe = pipeline(book)
    calls = renewal.triage(pipe)
    desk = pipe.set_index("account_id")
    desk["call"] = calls
    desk = desk[desk["call"].isin(renewal.RISK_CALLS)].copy()
    keyed = desk.reset_index()
    desk["fit_gap"] = renewal.fit_gap(keyed)
    desk["sponsor_reachable"] = renewal.sponsor_reachable(keyed)
    desk["hours_needed"] = renewal.save_hours(desk["segment"])
    desk = desk.reset_index()
    desk["customer_says"] = customer_says(desk).to_numpy()
    return desk[list(DESK_COLUMNS)].reset_index(drop=True)


def claims(book: Book) -> pd.DataFrame:
    """Renewals the CSMs reported as saves, with the CSM's call, the signal-based call, and what happened."""
    ren = renewals_view(book).set_index("account_id")
    ren["triage_call"] = renewal.triage(pipeline(book))
    recorded = book.renewals.set_index("account_id")
    ren["save_play_run"] = recorded["save_play_run"].astype(bool)
    claimed = recorded["csm_claimed_save"].astype(bool)
    out = ren[claimed.reindex(ren.index).fillna(False).to_numpy(bool)].reset_index()
    return out[list(CLAIM_COLUMNS)].reset_index(drop=True)


def hours_budget(desk: pd.DataFrame) -> int:
    """The team's save hours this quarter for ``desk``: 30% of what saving every account would take."""
    return renewal.hours_budget(desk)


def cancelling_customer(desk: pd.DataFrame, pipeline: pd.DataFrame) -> pd.Series:
    """The written task's customer: a fit-gap account on the desk that blames missing features.

    Mid-Market first (the seeds' scenario), then any segment; biggest first. Shown with its fit clues.
    """
    gap = desk[desk["fit_gap"]]
    blames = gap[gap["customer_says"] == "missing features"]
    pool = blames if len(blames) else gap if len(gap) else desk
    mid = pool[pool["segment"] == "Mid-Market"]
    pick = (mid if len(mid) else pool).sort_values("arr_due", ascending=False, kind="stable").iloc[0]
    clues = pipeline.set_index("account_id").loc[
        pick["account_id"], ["industry", "onboarding_days", "tickets", "missing_feature_tickets"]
    ]
    return pd.concat([pick, clues])


# --- What each question's function is called with ---------------------------------------------------


def renewal_inputs(book: Book) -> tuple[pd.DataFrame]:
    """Q1 and Q2: the renewals table."""
    return (renewals_view(book),)


def pipeline_inputs(book: Book) -> tuple[pd.DataFrame]:
    """Q3 and Q4: the renewal pipeline."""
    return (pipeline(book),)


def desk_inputs(book: Book) -> tuple[pd.DataFrame]:
    """Q6: the save desk."""
    return (save_desk(book),)


def plan_inputs(book: Book) -> tuple[pd.DataFrame, int]:
    """Q5: the save desk and the quarter's hours for it."""
    desk = save_desk(book)
    return desk, renewal.hours_budget(desk)


def claim_inputs(book: Book) -> tuple[pd.DataFrame]:
    """Q7: the claimed saves."""
    return (claims(book),)
