"""What the module 1 trainee is handed: finance's ARR movement report and the billing system's SMB export."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from csm_academy import constants
from csm_academy.book.book import Book
from csm_academy.lessons.views import applied

REPORT_COLUMNS = (
    "account_id",
    "name",
    "segment",
    "cohort",
    "arr_start",
    "new_arr",
    "expansion_arr",
    "contraction_arr",
    "churn_arr",
    "arr_end",
    "churned",
)


def arr_report(book: Book) -> pd.DataFrame:
    """Finance's ARR movement report for 2025: the starting book plus the year's new logos, mixed."""
    acc = book.accounts
    start = pd.DataFrame(
        {
            "account_id": acc["account_id"].to_numpy(),
            "name": acc["name"].astype(str).to_numpy(),
            "segment": acc["segment"].astype(str).to_numpy(),
            "cohort": acc["cohort"].to_numpy(),
            "arr_start": acc["arr_start"].to_numpy(),
            "new_arr": 0,
            "expansion_arr": acc["expansion_arr"].to_numpy(),
            "contraction_arr": acc["contraction_arr"].to_numpy(),
            "churn_arr": acc["churn_arr"].to_numpy(),
            "arr_end": acc["arr_end"].to_numpy(),
            "churned": acc["churned"].to_numpy(),
        }
    )
    new = book.new_logos
    landed = pd.DataFrame(
        {
            "account_id": new["account_id"].to_numpy(),
            "name": new["name"].astype(str).to_numpy(),
            "segment": new["segment"].astype(str).to_numpy(),
            "cohort": constants.MEASURED_YEAR,  # landed in the year measured
            "arr_start": 0,
            "new_arr": new["arr"].to_numpy(),
            "expansion_arr": 0,
            "contraction_arr": 0,
            "churn_arr": 0,
            "arr_end": new["arr"].to_numpy(),
            "churned": False,
        }
    )
    report = pd.concat([start, landed], ignore_index=True) if len(landed) else start
    report = report.astype({c: "int64" for c in REPORT_COLUMNS if c.endswith("arr") or c in ("cohort",)})
    report["churned"] = report["churned"].astype(bool)
    return report.sort_values("account_id", kind="stable").reset_index(drop=True)[list(REPORT_COLUMNS)]


def smb_mrr(book: Book) -> pd.DataFrame:
    """The billing system's SMB export: the same movements, but in dollars per month (MRR)."""
    acc = book.accounts[book.accounts["segment"] == "SMB"]
    out = pd.DataFrame({"account_id": acc["account_id"].to_numpy()})
    for src, dst in (
        ("arr_start", "mrr_start"),
        ("expansion_arr", "mrr_expansion"),
        ("contraction_arr", "mrr_contraction"),
        ("churn_arr", "mrr_churn"),
    ):
        out[dst] = (acc[src].to_numpy() / 12).round(2)
    out["mrr_end"] = (out["mrr_start"] + out["mrr_expansion"] - out["mrr_contraction"] - out["mrr_churn"]).round(2)
    return out


def report_inputs(book: Book) -> tuple[pd.DataFrame]:
    """What a report question hands the trainee's function: the ARR report."""
    return (arr_report(book),)


def mrr_inputs(book: Book) -> tuple[pd.DataFrame]:
    """What the bridge question hands the trainee's function: the SMB MRR export."""
    return (smb_mrr(book),)


def on_report(fn: Callable[[pd.DataFrame], Any]) -> Callable[[Book], Any]:
    """``fn`` run on a book's ARR report, as a question runs a reference or a known mistake."""
    return applied(report_inputs, fn)


def on_mrr(fn: Callable[[pd.DataFrame], Any]) -> Callable[[Book], Any]:
    """``fn`` run on a book's SMB MRR export, as a question runs a reference or a known mistake."""
    return applied(mrr_inputs, fn)
