"""Renewal arithmetic: forecast calls against what happened, fit gaps, save plans and save claims.

Everything here works on plain tables a CSM can see (the renewal pipeline, the save desk, the claims
list), except the grader-side helpers at the end, which take the book's hidden truth to say how much a
save play could really have kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from csm_academy import constants
from csm_academy.book import model
from csm_academy.book.generate import FORECAST_CALLS
from csm_academy.metrics.expansion import OUTCOME_BAR  # module 3's bar: below it the value is not there yet

#: Forecast calls, safest first, as the CRM records them (the generator's list: one home).
CALLS: tuple[str, ...] = FORECAST_CALLS
SAFE_CALLS: tuple[str, ...] = CALLS[:2]  # commit, likely
RISK_CALLS: tuple[str, ...] = CALLS[2:]  # at-risk, lost
#: What a renewal came to: kept whole (renewed or expanded), kept smaller, or lost.
FATES: tuple[str, ...] = ("renewed", "contracted", "churned")
#: Keys of the surprises figure.
CALLED_SAFE_CHURNED = "called_safe_churned"
CALLED_LOST_RENEWED = "called_lost_renewed"

#: Seats in real use below this share: the contract is bigger than the habit.
UTILISATION_BAR = 0.50
#: Fit-gap clues: signing to first value this slow, and this share of tickets asking for missing features.
SLOW_ONBOARDING_DAYS = 90
MISSING_FEATURE_SHARE = 0.30
#: Risk points per warning sign, and the calls they lead to (0 commit, 1-2 likely, 3-4 at-risk, 5+ lost).
RISK_POINTS: dict[str, int] = {
    "value not attained": 2,
    "seats under-used": 1,
    "champion gone, single-threaded": 2,
    "champion gone": 1,
    "no buyer meeting in 90 days": 1,
    "competitor in the deal": 1,
    "fit gap": 2,
}
CALL_CUTS: tuple[int, int, int] = (0, 2, 4)
#: CSM hours a save play takes, by segment: a plan with the customer's team, an executive meeting, follow-up.
SAVE_HOURS: dict[str, int] = {"SMB": 4, "Mid-Market": 10, "Enterprise": 24}
#: The team's save hours this quarter, as a share of what saving every account on the desk would take.
BUDGET_SHARE = 0.30
#: The three save levers the course teaches; a discount is not one of them.
LEVERS: tuple[str, ...] = ("clean exit", "rebuild sponsorship", "close the value gap")


# --- Forecast against outcome ------------------------------------------------------------------------


def fate(outcome: pd.Series) -> pd.Series:
    """renewed / contracted / churned from a renewal outcome (expanded counts as renewed)."""
    return outcome.astype(str).replace({"expanded": "renewed"})


def forecast_vs_outcome(renewals: pd.DataFrame, call: str = "csm_forecast") -> pd.DataFrame:
    """ARR due per forecast call (rows, safest first) and what the renewal came to (columns), in dollars."""
    frame = pd.DataFrame(
        {"call": renewals[call].astype(str), "fate": fate(renewals["outcome"]), "arr": renewals["arr_due"]}
    )
    table = frame.pivot_table(index="call", columns="fate", values="arr", aggfunc="sum", fill_value=0)
    table = table.reindex(index=list(CALLS), columns=list(FATES), fill_value=0).astype("int64")
    table.index.name, table.columns.name = "call", "fate"
    return table


def surprises(renewals: pd.DataFrame, call: str = "csm_forecast") -> dict[str, float]:
    """Dollars the forecast got wrong both ways: called commit/likely but churned; called lost but kept."""
    calls = renewals[call].astype(str)
    churned = fate(renewals["outcome"]) == "churned"
    arr = renewals["arr_due"].astype(float)
    return {
        CALLED_SAFE_CHURNED: float(arr[calls.isin(SAFE_CALLS) & churned].sum()),
        CALLED_LOST_RENEWED: float(arr[(calls == "lost") & ~churned].sum()),
    }


def forecast_scores(calls: pd.Series, arr_due: pd.Series, churned: pd.Series) -> dict[str, float]:
    """How a forecast did, in ARR: surprises, false alarms, and balanced accuracy (1 minus their average).

    ``surprise_share``: churned ARR that was called commit or likely. ``false_alarm_share``: ARR that did
    not churn but was called at-risk or lost. Each is 0 for a perfect forecast; calling everything one way
    scores 0.5 balanced accuracy, whichever way.
    """
    ids = arr_due.index
    safe = calls.reindex(ids).astype(str).isin(SAFE_CALLS).to_numpy()
    lost = churned.reindex(ids).astype(bool).to_numpy()
    arr = arr_due.to_numpy(float)
    churned_arr, kept_arr = arr[lost].sum(), arr[~lost].sum()
    surprise = arr[safe & lost].sum() / churned_arr if churned_arr > 0 else 0.0
    alarm = arr[~safe & ~lost].sum() / kept_arr if kept_arr > 0 else 0.0
    return {
        "surprise_share": float(surprise),
        "false_alarm_share": float(alarm),
        "balanced_accuracy": float(1 - (surprise + alarm) / 2),
    }


# --- Triage from signals ------------------------------------------------------------------------------


def outcome_attainment(pipeline: pd.DataFrame) -> pd.Series:
    """Share of success-plan milestones hit, per account_id."""
    p = pipeline.set_index("account_id")
    return (p["milestones_hit"] / p["milestones_planned"].where(p["milestones_planned"] > 0)).fillna(0.0)


def missing_feature_share(pipeline: pd.DataFrame) -> pd.Series:
    """Share of the year's tickets that ask for a missing feature, per account_id (0 with no tickets)."""
    p = pipeline.set_index("account_id")
    return (p["missing_feature_tickets"] / p["tickets"].where(p["tickets"] > 0)).fillna(0.0)


def fit_clues(pipeline: pd.DataFrame) -> pd.DataFrame:
    """The three fit-gap clues per account_id: the industry the product was not built for, slow first value,
    and tickets that keep asking for what the product does not do."""
    p = pipeline.set_index("account_id")
    return pd.DataFrame(
        {
            "misfit_industry": p["industry"].astype(str) == constants.MISFIT_INDUSTRY,
            "slow_first_value": p["onboarding_days"] >= SLOW_ONBOARDING_DAYS,
            "asks_for_missing_features": missing_feature_share(pipeline) >= MISSING_FEATURE_SHARE,
        }
    )


def fit_gap(pipeline: pd.DataFrame) -> pd.Series:
    """True where two or more fit-gap clues agree: the account was probably mis-sold."""
    return fit_clues(pipeline).sum(axis=1) >= 2


def sponsor_in_place(pipeline: pd.DataFrame) -> pd.Series:
    """Champion still there and the economic buyer met in the last 90 days, per account_id."""
    p = pipeline.set_index("account_id")
    return p["champion_in_place"].astype(bool) & (p["days_since_buyer_met"] <= constants.BUYER_CONTACT_QUARTER_DAYS)


def sponsor_reachable(pipeline: pd.DataFrame) -> pd.Series:
    """Someone who can sponsor a save is still there: champion, another engaged contact, or a recent buyer."""
    p = pipeline.set_index("account_id")
    return (
        p["champion_in_place"].astype(bool)
        | (p["contacts_engaged"] > 1)
        # The generator's own reach: the evidence rule and the hidden ``savable`` truth agree by construction.
        | (p["days_since_buyer_met"] <= model.SPONSOR_REACH_DAYS)
    )


def warning_signs(pipeline: pd.DataFrame) -> pd.DataFrame:
    """Each warning sign of ``RISK_POINTS`` as True/False per account_id."""
    p = pipeline.set_index("account_id")
    gone = ~p["champion_in_place"].astype(bool)
    single = p["contacts_engaged"] == 1
    return pd.DataFrame(
        {
            "value not attained": outcome_attainment(pipeline) < OUTCOME_BAR,
            "seats under-used": p["seat_utilisation"] < UTILISATION_BAR,
            "champion gone, single-threaded": gone & single,
            "champion gone": gone & ~single,
            "no buyer meeting in 90 days": p["days_since_buyer_met"] > constants.BUYER_CONTACT_QUARTER_DAYS,
            "competitor in the deal": p["competitor_mentioned"].astype(bool),
            "fit gap": fit_gap(pipeline),
        }
    )


def risk_points(pipeline: pd.DataFrame) -> pd.Series:
    """Risk points per account_id: the weighted count of warning signs."""
    signs = warning_signs(pipeline)
    weights = pd.Series(RISK_POINTS)[signs.columns]
    return (signs.astype(int) * weights).sum(axis=1).astype("int64")


def call_for(points: pd.Series, cuts: tuple[int, int, int] = CALL_CUTS) -> pd.Series:
    """commit / likely / at-risk / lost from risk points."""
    values = np.select([points <= cuts[0], points <= cuts[1], points <= cuts[2]], list(CALLS[:3]), CALLS[3])
    return pd.Series(values, index=points.index, dtype=object)


def triage(pipeline: pd.DataFrame) -> pd.Series:
    """The course's forecast call per account_id, from health, sponsorship, value, competition and fit."""
    return call_for(risk_points(pipeline))


def health_only_calls(pipeline: pd.DataFrame, cuts: tuple[float, float, float] = (75, 60, 45)) -> pd.Series:
    """Calls read off the dashboard health score alone (the misconception the triage question guards)."""
    h = pipeline.set_index("account_id")["health_score"]
    values = np.select([h >= cuts[0], h >= cuts[1], h >= cuts[2]], list(CALLS[:3]), CALLS[3])
    return pd.Series(values, index=h.index, dtype=object)


def follows_one_signal(calls: pd.Series, signal: pd.Series) -> bool:
    """Whether the calls are a threshold reading of ``signal`` alone (higher signal, never a worse call)."""
    severity = calls.map({c: i for i, c in enumerate(CALLS)})
    frame = pd.DataFrame({"signal": signal.reindex(calls.index), "severity": severity}).dropna()
    if frame.empty:
        return False
    if frame.groupby("signal")["severity"].nunique().max() > 1:
        return False  # two accounts with the same score got different calls: something else was read
    ordered = frame.groupby("signal")["severity"].first().sort_index()
    return bool(ordered.is_monotonic_decreasing)


# --- Save or let go -----------------------------------------------------------------------------------


def save_hours(segment: pd.Series) -> pd.Series:
    """CSM hours a save play takes for accounts of each segment."""
    return segment.astype(str).map(SAVE_HOURS).astype("int64")


def hours_budget(desk: pd.DataFrame) -> int:
    """The quarter's save hours: a share of what the whole desk would take, at least one play's worth."""
    total = int(desk["hours_needed"].sum())
    smallest = int(desk["hours_needed"].min()) if len(desk) else 0
    return max(int(round(total * BUDGET_SHARE)), smallest)


def lever(desk: pd.DataFrame) -> pd.Series:
    """The save lever per account_id: clean exit on a fit gap, else rebuild sponsorship, else close the value gap."""
    d = desk.set_index("account_id")
    buyer_away = d["days_since_buyer_met"] > constants.BUYER_CONTACT_QUARTER_DAYS
    no_sponsor = ~d["champion_in_place"].astype(bool) | buyer_away
    values = np.select([d["fit_gap"].astype(bool), no_sponsor], list(LEVERS[:2]), LEVERS[2])
    return pd.Series(values, index=d.index, dtype=object)


def worth_saving(desk: pd.DataFrame) -> pd.Series:
    """Accounts where a save can work: no fit gap and a sponsor still within reach."""
    d = desk.set_index("account_id")
    return ~d["fit_gap"].astype(bool) & d["sponsor_reachable"].astype(bool)


def plan(desk: pd.DataFrame, budget: int) -> list[int]:
    """The course's save plan: savable accounts by ARR per hour of effort, until the hours run out."""
    d = desk.set_index("account_id")
    ok = d[worth_saving(desk)]
    ranked = (ok["arr_due"] / ok["hours_needed"]).sort_values(ascending=False, kind="stable")
    return fill(ranked.index, d["hours_needed"], budget)


def fill(order: Iterable[int], hours: Mapping[int, int] | pd.Series, budget: int) -> list[int]:
    """Walk ``order`` and keep every account whose hours still fit in the budget."""
    used, chosen = 0, []
    for account in order:
        need = int(hours[account])
        if used + need <= budget:
            chosen.append(int(account))
            used += need
    return chosen


def real_saves(claims: pd.DataFrame) -> pd.Series:
    """Per claimed save (account_id): a save play was run, the account stayed, and the signals said at risk."""
    c = claims.set_index("account_id")
    stayed = c["outcome"].astype(str) != "churned"
    at_risk = c["triage_call"].astype(str).isin(RISK_CALLS)
    return c["save_play_run"].astype(bool) & stayed & at_risk


# --- Grader side: what a save play could really keep (needs the hidden truth) ------------------------------


def save_uplift(churn_risk: pd.Series) -> pd.Series:
    """Drop in the chance of churning that a save play brings a savable account, per the book's model."""
    risk = churn_risk.astype(float).clip(1e-9, 1 - 1e-9)
    logit = np.log(risk / (1 - risk))
    # Read from the book's model at call time, so retuning the generator moves this bar with it.
    return risk - 1 / (1 + np.exp(-(logit - model.SAVE_EFFECT)))


def save_value(desk: pd.DataFrame, truth: pd.DataFrame) -> pd.Series:
    """Expected ARR a save play keeps, per account_id on the desk: ARR due x uplift, 0 where not savable."""
    d = desk.set_index("account_id")
    t = truth.set_index("account_id").reindex(d.index)
    return (d["arr_due"] * save_uplift(t["churn_risk"]) * t["savable"].astype(bool)).astype(float)


def best_plan_value(values: pd.Series, hours: pd.Series, budget: int) -> float:
    """The most expected ARR any plan within the hours budget keeps (exact 0/1 knapsack over whole hours)."""
    best = np.zeros(budget + 1)
    for account, value in values.items():
        need = int(hours[account])
        if value <= 0 or need > budget:
            continue
        best[need:] = np.maximum(best[need:], best[: budget + 1 - need] + value)
    return float(best[budget])
