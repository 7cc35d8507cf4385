"""Module 4's teaching-notebook helpers: the forecast audited, strategies side by side, the three scenarios."""

from __future__ import annotations

import pandas as pd

from csm_academy.book.book import Book
from csm_academy.lessons.save_or_let_go.handout import claims, pipeline, renewals_view, save_desk
from csm_academy.lessons.save_or_let_go.reference import churned_at_renewal, truth_by_account
from csm_academy.metrics import renewal, situations


def forecast_audit(book: Book) -> pd.DataFrame:
    """The CSM's login-led forecast and the signal-based triage, scored side by side on what happened."""
    pipe = pipeline(book)
    frame = pipe.set_index("account_id")
    churned = churned_at_renewal(book, frame.index)
    ren = book.renewals.set_index("account_id").reindex(frame.index)
    calls = {
        "CSM's call (logins and loud tickets)": ren["csm_forecast"].astype(str),
        "health score alone": renewal.health_only_calls(pipe),
        "signal-based triage": renewal.triage(pipe),
    }
    rows = {name: renewal.forecast_scores(c, frame["arr_due"].astype(float), churned) for name, c in calls.items()}
    return pd.DataFrame.from_dict(rows, orient="index")


def triaged_renewals(book: Book) -> pd.DataFrame:
    """The renewals table with the signal-based triage as ``triage_call`` (for the second heatmap)."""
    ren = renewals_view(book)
    ren["triage_call"] = ren["account_id"].map(renewal.triage(pipeline(book))).to_numpy()
    return ren


def save_strategies(book: Book) -> pd.DataFrame:
    """Expected ARR kept as save hours are spent, for four ways of ordering the desk (needs the truth).

    One row per account worked, in each strategy's order, with the cumulative hours and kept ARR.
    """
    desk = save_desk(book)
    value = renewal.save_value(desk, book.truth)
    d = desk.set_index("account_id")
    ok = d[renewal.worth_saving(desk)]
    orders = {
        "biggest accounts first": d["arr_due"].sort_values(ascending=False, kind="stable").index,
        "loudest first (lost calls, then at-risk)": d.sort_values(
            ["call", "arr_due"], ascending=[False, False], kind="stable"
        ).index,
        "savable only, by ARR per hour": (ok["arr_due"] / ok["hours_needed"])
        .sort_values(ascending=False, kind="stable")
        .index,
    }
    frames = []
    for name, order in orders.items():
        order = list(order)
        frames.append(
            pd.DataFrame(
                {
                    "strategy": name,
                    "account_id": order,
                    "hours": d.loc[order, "hours_needed"].cumsum().to_numpy(),
                    "kept_arr": value.reindex(order).cumsum().to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def claims_audit(book: Book) -> pd.DataFrame:
    """Claimed saves with the evidence rule, the hidden truth, and how likely each was to churn unaided."""
    claim = claims(book)
    truth = truth_by_account(book)
    out = claim.set_index("account_id")
    out["evidence_says_real"] = renewal.real_saves(claim)
    out["truth_says_real"] = truth["save_was_real"].reindex(out.index).astype(bool)
    out["churn_risk_unaided"] = truth["churn_risk"].reindex(out.index)
    out["risk_was_technicality"] = truth["risk_was_technicality"].reindex(out.index).astype(bool)
    return out.reset_index()


def green_dashboard_case(book: Book) -> pd.DataFrame:
    """Scenario 1: churned accounts with busy logins, a departed champion and an unmet outcome (needs the truth)."""
    found = situations.green_dashboard_churn(book)
    pipe = pipeline(book)
    cols = [
        "name",
        "segment",
        "arr_due",
        "health_score",
        "seat_utilisation",
        "milestones_hit",
        "champion_in_place",
        "days_since_buyer_met",
    ]
    table = pipe.set_index("account_id").loc[found["account_id"], cols]
    table["csm_forecast"] = book.renewals.set_index("account_id")["csm_forecast"].reindex(table.index).astype(str)
    table["triage_call"] = renewal.triage(pipe).reindex(table.index)
    return table.sort_values("arr_due", ascending=False)


def surprise_churn(book: Book) -> pd.DataFrame:
    """Churned accounts the CSM called commit or likely, with the signal-based call and the hidden root cause."""
    raw = pipeline(book)
    pipe = raw.set_index("account_id")
    ren = book.renewals.set_index("account_id").reindex(pipe.index)
    mask = (ren["outcome"].astype(str) == "churned") & ren["csm_forecast"].astype(str).isin(renewal.SAFE_CALLS)
    table = pipe.loc[mask, ["name", "segment", "arr_due", "health_score", "milestones_hit", "days_since_buyer_met"]]
    table["csm_forecast"] = ren.loc[mask, "csm_forecast"].astype(str)
    table["triage_call"] = renewal.triage(raw).reindex(table.index)
    table["root_cause"] = truth_by_account(book)["root_cause"].astype(str).reindex(table.index)
    return table.sort_values("arr_due", ascending=False)


def bad_fit_case(book: Book) -> pd.DataFrame:
    """Scenario 3: mis-sold accounts (truth) with the clues a CSM could see, and whether the rule flags them."""
    truth = truth_by_account(book)
    pipe = pipeline(book)
    flags = renewal.fit_gap(pipe)
    clues = renewal.fit_clues(pipe)
    frame = pipe.set_index("account_id")
    frame = frame.join(clues)
    frame["flagged"] = flags
    frame["mis_sold"] = truth["fit"].astype(str).reindex(frame.index) == "mis-sold"
    frame["outcome"] = book.renewals.set_index("account_id")["outcome"].astype(str).reindex(frame.index)
    return frame


def fit_gap_confusion(book: Book) -> pd.DataFrame:
    """How the two-of-three-clues rule lines up with the truth: accounts by flagged and really mis-sold."""
    frame = bad_fit_case(book)
    table = pd.crosstab(
        frame["flagged"].map({True: "flagged as fit gap", False: "not flagged"}),
        frame["mis_sold"].map({True: "really mis-sold", False: "good fit"}),
    )
    return table


def churn_by_call(renewals: pd.DataFrame, call: str) -> pd.Series:
    """Share of ARR due that churned, per call (safest first)."""
    frame = renewal.forecast_vs_outcome(renewals, call)
    return (frame["churned"] / frame.sum(axis=1).where(frame.sum(axis=1) > 0)).fillna(0.0)
