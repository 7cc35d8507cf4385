"""Finders for the situations the course teaches, located in a book that still has its truth.

Each finder returns the matching rows, so a teaching notebook can show the accounts and a test can
count them. None of these is painted on: they arise from the causal model in ``book/model.py``.
"""

from __future__ import annotations

import pandas as pd

from csm_academy.book.book import Book
from csm_academy.metrics.retention import retention_by


def need_truth(book: Book) -> pd.DataFrame:
    """The book's hidden truth, or a clear error when the book was loaded without it."""
    if book.truth is None:
        raise ValueError("this finder needs the book's hidden truth; use a book that still has it")
    return book.truth


def logins_per_seat(book: Book) -> pd.Series:
    """Mean monthly logins per purchased seat over the months each account was a customer."""
    monthly = book.usage.groupby("account_id")["logins"].mean()
    seats = book.accounts.set_index("account_id")["seats_purchased"]
    return (monthly / seats).reindex(seats.index).fillna(0.0)


def green_dashboard_churn(book: Book) -> pd.DataFrame:
    """Churned accounts with heavy logins whose champion had left and whose outcome was never met."""
    truth = need_truth(book).set_index("account_id")
    acc = book.accounts.set_index("account_id")
    lps = logins_per_seat(book)
    heavy = lps >= lps.quantile(2 / 3)
    champion_gone = book.stakeholders.set_index("account_id")["champion_left_on"].notna()
    mask = acc["churned"] & heavy & champion_gone & ~truth["outcome_attained"]
    return acc[mask].reset_index()


def whale_masked_segments(book: Book, min_logo_churn: float = 0.05) -> pd.DataFrame:
    """Segments with NRR above 100% that still lose at least ``min_logo_churn`` of their logos."""
    table = retention_by(book.accounts, "segment")
    top_share = book.accounts.groupby("segment", observed=True)["expansion_arr"].apply(
        lambda s: s.nlargest(max(1, int(len(s) * 0.05))).sum() / max(s.sum(), 1)
    )
    table["top5pct_expansion_share"] = top_share
    return table[(table["nrr"] > 1.0) & (1 - table["logo_retention"] >= min_logo_churn)]


def order_taking_upsells(book: Book) -> pd.DataFrame:
    """CSM upsells won into accounts using under half their seats, and what happened at renewal."""
    opp = book.opportunities
    won = opp[(opp["source"] == "CSM") & (opp["stage"] == "won") & (opp["seat_utilisation"] < 0.5)]
    outcome = book.renewals.set_index("account_id")["outcome"]
    return won.assign(renewal_outcome=won["account_id"].map(outcome).astype(str))


def mis_sold(book: Book) -> pd.DataFrame:
    """Accounts whose core workflow the product was never built for."""
    truth = need_truth(book)
    ids = truth.loc[truth["fit"] == "mis-sold", "account_id"]
    return book.accounts[book.accounts["account_id"].isin(ids)]


def technicality_risks(book: Book) -> pd.DataFrame:
    """Renewals the CSM called at risk on one loud signal, which were never going to churn."""
    truth = need_truth(book).set_index("account_id")
    ren = book.renewals.set_index("account_id")
    mask = (
        truth["risk_was_technicality"] & ren["csm_forecast"].isin(["at-risk", "lost"]) & (ren["outcome"] != "churned")
    )
    return ren[mask].reset_index()


def automatic_expansion(book: Book) -> pd.DataFrame:
    """Expansion that a usage-based tier added on its own, with no CSM involved."""
    opp = book.opportunities
    return opp[(opp["source"] == "usage tier") & (opp["stage"] == "won")]


def churn_rate_by(book: Book, flags: pd.Series) -> pd.Series:
    """Logo churn rate for accounts where ``flags`` (indexed by account_id) is True and False."""
    churned = book.accounts.set_index("account_id")["churned"]
    return churned.groupby(flags.reindex(churned.index).fillna(False).astype(bool)).mean()


def slow_onboarding(book: Book, days: int = 90) -> pd.Series:
    """True for accounts whose first value took longer than ``days``."""
    return book.accounts.set_index("account_id")["onboarding_days"] > days


def single_threaded_champion_loss(book: Book) -> pd.Series:
    """True for single-threaded accounts whose champion left."""
    st = book.stakeholders.set_index("account_id")
    return (st["contacts_engaged"] == 1) & st["champion_left_on"].notna()
