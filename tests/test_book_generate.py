"""The generator: determinism, schema, the ARR reconciliation and bad input."""

from __future__ import annotations

import pandas as pd
import pytest

import csm_academy as ca
from csm_academy.book.book import OBSERVABLE_TABLES
from csm_academy.book.schema import PANDAS_DTYPES, TABLES_BY_NAME
from csm_academy.errors import BookInputError


def _csv_bytes(book: ca.Book) -> dict[str, str]:
    return {name: df.to_csv(index=False) for name, df in book.tables().items()}


def test_same_seed_gives_byte_identical_book():
    assert _csv_bytes(ca.generate_book(42, 300)) == _csv_bytes(ca.generate_book(42, 300))


def test_different_seeds_give_different_books():
    a, b = ca.generate_book(1, 300), ca.generate_book(2, 300)
    assert not a.accounts.equals(b.accounts)
    assert a.accounts["arr_start"].sum() != b.accounts["arr_start"].sum()


def test_every_table_matches_its_schema_columns_and_dtypes(default_book):
    for name, frame in default_book.tables().items():
        table = TABLES_BY_NAME[name]
        assert list(frame.columns) == table.column_names, name
        for col in table.columns:
            assert str(frame[col.name].dtype) == PANDAS_DTYPES[col.kind], (name, col.name)


def test_arr_movements_reconcile_on_every_row(large_book):
    a = large_book.accounts
    lhs = a["arr_start"] + a["expansion_arr"] - a["contraction_arr"] - a["churn_arr"]
    assert (lhs == a["arr_end"]).all()
    assert (a[["arr_start", "expansion_arr", "contraction_arr", "churn_arr", "arr_end"]] >= 0).all().all()


def test_churned_accounts_end_at_zero_and_others_keep_revenue(large_book):
    a = large_book.accounts
    assert (a.loc[a["churned"], "arr_end"] == 0).all()
    assert (a.loc[~a["churned"], "arr_end"] > 0).all()
    assert (a.loc[~a["churned"], "churn_arr"] == 0).all()


def test_renewal_is_the_contract_anniversary_in_the_measured_year(default_book):
    a = default_book.accounts
    assert (a["renewal_date"].dt.year == 2025).all()
    assert (a["renewal_date"].dt.month == a["contract_start"].dt.month).all()
    assert (a["renewal_date"].dt.day == a["contract_start"].dt.day).all()
    assert (a["contract_start"].dt.year == a["cohort"]).all()


def test_usage_stops_after_a_churned_account_leaves(default_book):
    a = default_book.accounts.set_index("account_id")
    last_month = default_book.usage.groupby("account_id")["month"].max()
    churned = a.index[a["churned"]]
    renewal_month = a.loc[churned, "renewal_date"].dt.to_period("M").dt.to_timestamp()
    assert (last_month.loc[churned] == renewal_month).all()
    assert (last_month.loc[a.index[~a["churned"]]] == pd.Timestamp("2025-12-01")).all()


def test_observable_part_has_no_truth_and_is_a_copy(default_book):
    seen = default_book.observable()
    assert seen.truth is None and not seen.has_truth
    assert set(seen.tables()) == set(OBSERVABLE_TABLES)
    seen.accounts.loc[0, "arr_start"] = -1
    assert default_book.accounts.loc[0, "arr_start"] != -1


def test_new_logos_are_kept_apart_from_the_starting_book(default_book):
    assert not set(default_book.new_logos["account_id"]) & set(default_book.accounts["account_id"])
    assert (default_book.new_logos["signed_on"].dt.year == 2025).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seed": 1, "n_accounts": 0}, "n_accounts must be at least 1"),
        ({"seed": 1, "n_accounts": -5}, "n_accounts must be at least 1"),
        ({"seed": 1, "n_accounts": 2.5}, "n_accounts must be a whole number"),
        ({"seed": "abc", "n_accounts": 10}, "seed must be a whole number"),
        ({"seed": 1.5, "n_accounts": 10}, "seed must be a whole number"),
        ({"seed": -1, "n_accounts": 10}, "seed must be zero or positive"),
        ({"seed": 1, "segment_mix": {"SMB": 0.5, "Mid-Market": 0.3}}, "must sum to 1"),
        ({"seed": 1, "segment_mix": {"SMB": 0.5, "Startup": 0.5}}, "unknown segment 'Startup'"),
        ({"seed": 1, "segment_mix": {"SMB": 1.5, "Mid-Market": -0.5}}, "zero or positive"),
        ({"seed": 1, "segment_mix": {"SMB": "lots"}}, "must be numbers"),
    ],
)
def test_nonsense_settings_are_rejected_with_a_specific_message(kwargs, message):
    with pytest.raises(BookInputError, match=message):
        ca.generate_book(**kwargs)


def test_a_book_of_one_enterprise_account_is_possible():
    book = ca.generate_book(3, 1, segment_mix={"Enterprise": 1.0})
    assert len(book.accounts) == 1 and book.accounts["segment"].iloc[0] == "Enterprise"
