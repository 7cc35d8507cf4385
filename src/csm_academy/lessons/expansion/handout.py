"""What module 3 hands the trainee: the accounts, usage, pipeline, sheet, renewals and ledger views.

Trainees see only what a CSM can see: the CRM's expansion opportunities with the evidence recorded when
each was proposed, product usage, renewals and the expansion ledger. The hidden truth (whether value was
really proven, whether the use case was real) never reaches them. Each question's ``inputs`` builder is
here too: what that question's function is called with.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csm_academy import constants
from csm_academy.book.book import Book
from csm_academy.lessons.views import plain_text
from csm_academy.metrics import expansion

ACCOUNT_COLUMNS = (
    "account_id",
    "name",
    "segment",
    "csm",
    "pricing_model",
    "seats_purchased",
    "milestones_hit",
    "milestones_planned",
)
PIPELINE_COLUMNS = (
    "opportunity_id",
    "account_id",
    "name",
    "segment",
    "csm",
    "created_on",
    "use_case",
    "sponsor_interest",
    "sponsor_funded",
    "amount_arr",
    "seats_purchased",
    "active_users",
    "logins",
    "features_adopted",
    "milestones_hit",
    "milestones_planned",
)
SHEET_COLUMNS = (
    "opportunity_id",
    "account_id",
    "name",
    "amount_arr",
    "value_proven",
    "real_use_case",
    "sponsor_interest",
    "sponsor_funded",
)
LEDGER_COLUMNS = ("opportunity_id", "account_id", "csm", "closed_on", "source", "use_case", "amount_arr", "stage")
RENEWAL_COLUMNS = ("account_id", "renewal_date", "arr_due", "outcome", "arr_after")


def accounts_view(book: Book) -> pd.DataFrame:
    """The starting book's accounts: who owns them, how they are priced, seats bought, plan milestones."""
    return plain_text(book.accounts[list(ACCOUNT_COLUMNS)]).reset_index(drop=True)


def usage_view(book: Book) -> pd.DataFrame:
    """Monthly product usage per account in 2025: active users, logins and features adopted."""
    return book.usage[["account_id", "month", "active_users", "logins", "features_adopted"]].reset_index(drop=True)


def _usage_at_proposal(book: Book, opps: pd.DataFrame) -> pd.DataFrame:
    """Logins and features adopted in the month each opportunity was opened (clipped to the months on record)."""
    use = book.usage
    first = np.datetime64(constants.YEAR_START.isoformat(), "M")
    opened = np.maximum(opps["created_on"].to_numpy().astype("datetime64[M]"), first)
    last_month = use.groupby("account_id")["month"].max()
    latest = opps["account_id"].map(last_month).to_numpy().astype("datetime64[M]")
    month = np.where(np.isnat(latest), opened, np.minimum(opened, latest)).astype("datetime64[s]")
    keys = pd.DataFrame({"opportunity_id": opps["opportunity_id"].to_numpy(), "account_id": opps["account_id"]})
    keys["month"] = month
    found = keys.merge(
        use[["account_id", "month", "logins", "features_adopted"]], on=["account_id", "month"], how="left"
    )
    # An account with no usage on record logged nobody in and adopted nothing.
    return found.fillna({"logins": 0, "features_adopted": 0}).astype({"logins": "int64", "features_adopted": "int64"})


def _pipeline(book: Book, with_stage: bool) -> pd.DataFrame:
    opp = book.opportunities
    csm = opp[opp["source"].astype(str) == "CSM"].reset_index(drop=True)
    acc = book.accounts[
        ["account_id", "name", "segment", "csm", "seats_purchased", "milestones_hit", "milestones_planned"]
    ]
    out = csm.merge(acc, on="account_id", how="left", validate="many_to_one")
    # The CRM records utilisation at proposal (active users / seats purchased); show it as the head count.
    out["active_users"] = np.rint(out["seat_utilisation"] * out["seats_purchased"]).astype("int64")
    seen = _usage_at_proposal(book, csm)
    out["logins"] = seen["logins"].to_numpy()
    out["features_adopted"] = seen["features_adopted"].to_numpy()
    columns = list(PIPELINE_COLUMNS) + (["stage"] if with_stage else [])
    return plain_text(out[columns]).sort_values("opportunity_id", kind="stable").reset_index(drop=True)


def pipeline(book: Book) -> pd.DataFrame:
    """The CSM expansion pipeline with the evidence recorded when each was proposed (no result columns)."""
    return _pipeline(book, with_stage=False)


def closed_pipeline(book: Book) -> pd.DataFrame:
    """The same opportunities once closed: won or lost, with whether value was proven at proposal."""
    out = _pipeline(book, with_stage=True)
    out["value_proven"] = out["opportunity_id"].map(expansion.value_proven(out)).astype(bool).to_numpy()
    return out


def qualification_sheet(book: Book) -> pd.DataFrame:
    """Per opportunity: value proven and real use case (already judged), and the sponsor's two answers."""
    pipe = pipeline(book)
    out = expansion.qualify(pipe)
    return out[list(SHEET_COLUMNS)].reset_index(drop=True)


def renewals_view(book: Book) -> pd.DataFrame:
    """Each account's next renewal after the expansion: ARR due, the outcome and ARR after it."""
    return plain_text(book.renewals[list(RENEWAL_COLUMNS)]).reset_index(drop=True)


def expansion_ledger(book: Book) -> pd.DataFrame:
    """Every expansion opportunity of 2025, CSM upsells and automatic usage-tier step-ups, with its CSM."""
    owners = book.accounts[["account_id", "csm"]]
    out = book.opportunities.merge(owners, on="account_id", how="left", validate="many_to_one")
    return plain_text(out[list(LEDGER_COLUMNS)]).reset_index(drop=True)


def quarter_capacity(pipe: pd.DataFrame) -> int:
    """How many expansion motions the team can run this quarter: a fifth of the pipeline, at least one."""
    return expansion.capacity_for(pipe)


# --- What each question's function is called with ---------------------------------------------------


def utilisation_inputs(book: Book) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Q1: the accounts and the monthly usage."""
    return accounts_view(book), usage_view(book)


def pipeline_inputs(book: Book) -> tuple[pd.DataFrame]:
    """Q2 and Q3: the open CSM pipeline with its evidence at proposal."""
    return (pipeline(book),)


def sheet_inputs(book: Book) -> tuple[pd.DataFrame]:
    """Q4: the qualification sheet."""
    return (qualification_sheet(book),)


def renewal_inputs(book: Book) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Q5: the closed pipeline and the renewals that followed."""
    return closed_pipeline(book), renewals_view(book)


def ledger_inputs(book: Book) -> tuple[pd.DataFrame]:
    """Q6: the expansion ledger."""
    return (expansion_ledger(book),)


def capacity_inputs(book: Book) -> tuple[pd.DataFrame, int]:
    """Q7: the open pipeline and the quarter's capacity for it."""
    pipe = pipeline(book)
    return pipe, quarter_capacity(pipe)
