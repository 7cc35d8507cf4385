"""Module 3's teaching-notebook helpers: reasons in words, strategies side by side, outcomes by evidence."""

from __future__ import annotations

import numpy as np
import pandas as pd

from csm_academy.book.book import Book
from csm_academy.lessons.expansion.handout import (
    accounts_view,
    capacity_inputs,
    closed_pipeline,
    renewals_view,
    usage_view,
)
from csm_academy.lessons.expansion.misconceptions import verdict_before_size
from csm_academy.metrics import expansion


def reasons(qualified: pd.DataFrame) -> list[str]:
    """One sentence per opportunity of a ``qualify``-ed pipeline: each criterion's evidence and the verdict."""
    lines = []
    for row in qualified.itertuples(index=False):
        util = row.active_users / row.seats_purchased
        value = (
            f"value {'proven' if row.value_proven else 'not proven'} ({util:.0%} of seats in use, "
            f"{row.milestones_hit} of {row.milestones_planned} milestones)"
        )
        use = f"{'a real' if row.real_use_case else 'no new'} use case ({row.use_case})"
        if row.sponsor_funded:
            money = "sponsor funded"
        elif row.sponsor_interest:
            money = "sponsor interested but no budget"
        else:
            money = "no sponsor"
        lines.append(
            f"#{row.opportunity_id} {row.name}, {row.amount_arr:,} dollars: {value}; {use}; {money}. "
            f"{row.criteria_met} of 3: {row.verdict}."
        )
    return lines


def strategies(book: Book) -> pd.DataFrame:
    """Three ways to spend a quarter's capacity on this book, and what each kept after the next renewal.

    ``arr_given_back`` is what the accounts whose upsell was won gave back at that renewal: the contraction,
    or everything that was due if the account churned.
    """
    pipe, capacity = capacity_inputs(book)
    closed = closed_pipeline(book)
    renewals = renewals_view(book)
    durable = expansion.durable_arr(closed, renewals)
    frame = expansion.next_renewal(expansion.qualify(closed), renewals).set_index("opportunity_id")
    won = frame["stage"] == "won"
    given_back = np.where(frame["outcome"] == "churned", frame["arr_due"], frame["arr_due"] - frame["arr_after"])
    frame["given_back"] = np.where(won, np.clip(given_back, 0, None), 0)
    biggest = [int(i) for i in pipe.nlargest(capacity, "amount_arr")["opportunity_id"]]
    choices = {
        "order-taking: biggest amounts first": biggest,
        "every pursue first, then maybes": verdict_before_size(pipe, capacity),
        "qualified, by expected durable ARR": expansion.choose_motions(pipe, capacity),
    }
    rows = {}
    for name, chosen in choices.items():
        picked = frame.loc[chosen]
        rows[name] = {
            "motions": len(chosen),
            "on_a_no": int((picked["verdict"] == "no").sum()),
            "lost": int((picked["stage"] == "lost").sum()),
            "arr_proposed": int(picked["amount_arr"].sum()),
            "arr_given_back": int(picked["given_back"].sum()),
            "durable_arr": int(durable.loc[chosen].sum()),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


UTILISATION_BANDS = (0.0, 0.3, 0.5, 0.7, 0.9, np.inf)
UTILISATION_LABELS = ("under 30%", "30-50%", "50-70%", "70-90%", "90% and up")


def won_upsells(book: Book) -> pd.DataFrame:
    """Won CSM upsells with utilisation at proposal, the verdict, the next renewal and the ARR that held."""
    closed = expansion.qualify(closed_pipeline(book))
    renewals = renewals_view(book)
    durable = expansion.durable_arr(closed, renewals)
    won = expansion.next_renewal(closed[closed["stage"] == "won"], renewals)
    won["utilisation"] = won["active_users"] / won["seats_purchased"]
    won["durable_arr"] = won["opportunity_id"].map(durable).to_numpy()
    return won.reset_index(drop=True)


def outcomes_by_utilisation(book: Book) -> pd.DataFrame:
    """Per utilisation band at proposal: how many upsells were won and the share held, contracted, churned."""
    won = won_upsells(book)
    band = pd.cut(won["utilisation"], list(UTILISATION_BANDS), right=False, labels=list(UTILISATION_LABELS))
    fate = won["outcome"].replace({"renewed": "held", "expanded": "held"})
    table = pd.crosstab(band, fate, normalize="index").reindex(columns=["held", "contracted", "churned"], fill_value=0)
    table["upsells"] = band.value_counts().reindex(table.index).astype(int)
    return table


def pipeline_by_verdict(book: Book) -> pd.DataFrame:
    """Per verdict: opportunities, ARR proposed, ARR that proved durable, and the share that held."""
    closed = expansion.qualify(closed_pipeline(book))
    closed["durable"] = closed["opportunity_id"].map(expansion.durable_arr(closed, renewals_view(book))).to_numpy()
    grouped = closed.groupby("verdict")
    table = pd.DataFrame(
        {
            "opportunities": grouped.size(),
            "arr_proposed": grouped["amount_arr"].sum(),
            "arr_durable": grouped["durable"].sum(),
        }
    ).reindex([v for v in expansion.VERDICTS if v in grouped.groups])
    table["share_held"] = table["arr_durable"] / table["arr_proposed"]
    return table


def logins_versus_value(book: Book) -> pd.DataFrame:
    """Share of accounts that churned or contracted at renewal, by busy logins and by proven value."""
    accounts, usage = accounts_view(book), usage_view(book)
    frame = accounts.set_index("account_id")
    utilisation = expansion.seat_utilisation(accounts, usage)
    logins_per_seat = (usage.groupby("account_id")["logins"].mean() / frame["seats_purchased"]).fillna(0.0)
    proven = (utilisation >= expansion.ADOPTION_BAR) & (
        frame["milestones_hit"] / frame["milestones_planned"] >= expansion.OUTCOME_BAR
    )
    outcome = book.renewals.set_index("account_id")["outcome"].astype(str)
    table = pd.DataFrame(
        {
            "logins": np.where(logins_per_seat >= logins_per_seat.median(), "busy logins", "quiet logins"),
            "value": np.where(proven, "value proven", "value not proven"),
            "lost": outcome.reindex(frame.index).isin(["churned", "contracted"]).to_numpy(),
        },
        index=frame.index,
    )
    out = table.groupby(["logins", "value"])["lost"].agg(accounts="size", churned_or_contracted="mean")
    return out.unstack("value")
