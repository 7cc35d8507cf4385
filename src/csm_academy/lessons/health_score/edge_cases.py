"""Module 2's unusual books for hidden tests: each still a consistent book, each a trap for a fragile answer."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from csm_academy.book.book import Book


def one_churner(book: Book) -> Book:
    """Only the first churned account churns; the others renew (a quiet year)."""
    acc = book.accounts.copy()
    churned = acc.index[acc["churned"]]
    saved = churned[1:]
    acc.loc[saved, "churned"] = False
    acc.loc[saved, "churn_arr"] = 0
    acc["arr_end"] = acc["arr_start"] + acc["expansion_arr"] - acc["contraction_arr"] - acc["churn_arr"]
    return replace(book, accounts=acc)


def identical_signals(book: Book) -> Book:
    """Every account shows exactly the same signals, so every score ties."""
    usage = book.usage.copy()
    seats = usage["account_id"].map(book.accounts.set_index("account_id")["seats_purchased"])
    usage["active_users"] = seats.to_numpy()
    usage["logins"] = 0
    usage["features_adopted"] = 6
    st = book.stakeholders.copy()
    st["champion_left_on"] = pd.NaT
    st["buyer_last_contact"] = book.accounts.set_index("account_id")["renewal_date"].reindex(st["account_id"]).values
    st["contacts_engaged"] = 3
    acc = book.accounts.copy()
    acc["milestones_hit"] = 4
    return replace(book, usage=usage, stakeholders=st, tickets=book.tickets.iloc[0:0].copy(), accounts=acc)


def churners_fade_from_january(book: Book) -> Book:
    """Every churned account's usage collapses from January: each should be red from the first month."""
    usage = book.usage.copy()
    churned = set(book.accounts.loc[book.accounts["churned"], "account_id"])
    rows = usage["account_id"].isin(churned)
    usage.loc[rows, ["active_users", "logins", "features_adopted"]] = [1, 0, 1]
    return replace(book, usage=usage)
