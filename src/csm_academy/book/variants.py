"""Edge-case variants of a book, for hidden tests: each keeps every ARR row reconciled."""

from __future__ import annotations

import functools
from dataclasses import replace

from csm_academy.book.book import Book


def _recompute_end(accounts):
    accounts = accounts.copy()
    accounts["arr_end"] = (
        accounts["arr_start"] + accounts["expansion_arr"] - accounts["contraction_arr"] - accounts["churn_arr"]
    )
    return accounts


def no_churn(book: Book) -> Book:
    """Every account renews: no churned dollars and no lost logos (contraction stays)."""
    acc = book.accounts.copy()
    acc["churn_arr"] = 0
    acc["churned"] = False
    return replace(book, accounts=_recompute_end(acc))


def whale_expansion(book: Book) -> Book:
    """The biggest renewing account expands by ten times its starting ARR."""
    acc = book.accounts.copy()
    alive = acc.index[~acc["churned"]]
    if len(alive):
        whale = acc.loc[alive, "arr_start"].idxmax()
        acc.loc[whale, "expansion_arr"] += 10 * acc.loc[whale, "arr_start"]
    return replace(book, accounts=_recompute_end(acc))


@functools.cache  # one function per segment, so the grader builds each variant book once for all questions
def without_segment(segment: str):
    """A variant maker: the book with one segment's accounts (and new logos) removed."""

    def variant(book: Book) -> Book:
        acc = book.accounts[book.accounts["segment"] != segment].reset_index(drop=True)
        new = book.new_logos[book.new_logos["segment"] != segment].reset_index(drop=True)
        keep = set(acc["account_id"])
        others = {
            name: getattr(book, name)[getattr(book, name)["account_id"].isin(keep)].reset_index(drop=True)
            for name in ("usage", "stakeholders", "tickets", "surveys", "renewals", "opportunities")
        }
        truth = None if book.truth is None else book.truth[book.truth["account_id"].isin(keep)].reset_index(drop=True)
        return replace(book, accounts=acc, new_logos=new, truth=truth, **others)

    variant.__name__ = f"without_{segment.lower().replace('-', '_')}"
    return variant


def no_new_logos(book: Book) -> Book:
    """A year with no new business at all."""
    return replace(book, new_logos=book.new_logos.iloc[0:0].copy())


@functools.cache  # one function per size, as for without_segment
def first_accounts(n: int):
    """A variant maker: only the first ``n`` accounts (a tiny book)."""

    def variant(book: Book) -> Book:
        keep = set(book.accounts["account_id"].iloc[:n])
        tables = {
            name: frame[frame["account_id"].isin(keep)].reset_index(drop=True)
            for name, frame in book.tables().items()
            if name != "new_logos"
        }
        return replace(book, new_logos=book.new_logos.iloc[: max(1, n // 5)].copy(), **tables)

    variant.__name__ = f"first_{n}_accounts"
    return variant


__all__ = ["first_accounts", "no_churn", "no_new_logos", "whale_expansion", "without_segment"]
