"""The grader's model of a save reads the generator's own parameters, so the two can never drift apart.

``metrics.renewal`` judges save plans by the ARR a save play can be expected to keep; that expectation
is only right while it uses the same save effect and sponsor reach the generator used to play the year.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import csm_academy as ca
from csm_academy.book import model
from csm_academy.book.book import Book
from csm_academy.book.generate import FORECAST_CALLS
from csm_academy.metrics import expansion, renewal

SEED, ACCOUNTS = 2024, 3000


def _reach_evidence(book: Book) -> pd.DataFrame:
    """What a CSM can see about who could sponsor a save, per account (the pipeline's columns)."""
    st = book.stakeholders.set_index("account_id")
    acc = book.accounts.set_index("account_id")
    return pd.DataFrame(
        {
            "account_id": acc.index,
            "champion_in_place": st["champion_left_on"].isna().to_numpy(),
            "contacts_engaged": st["contacts_engaged"].to_numpy(),
            "days_since_buyer_met": (acc["renewal_date"] - st["buyer_last_contact"]).dt.days.to_numpy(),
        }
    )


def _savable_from_evidence(book: Book) -> pd.Series:
    """The generator's hidden ``savable``, rebuilt from the fit truth and the metric's sponsor rule."""
    fits = book.truth.set_index("account_id")["fit"].astype(str) == "good fit"
    return fits & renewal.sponsor_reachable(_reach_evidence(book))


def _assert_reach_is_exercised(book: Book) -> None:
    # Only accounts whose champion left and who have no other contact depend on the buyer's reach;
    # some must fall on each side of it, or the comparison below could not tell two reaches apart.
    ev = _reach_evidence(book)
    buyer_only = ~ev["champion_in_place"] & (ev["contacts_engaged"] == 1)
    near = ev["days_since_buyer_met"] <= model.SPONSOR_REACH_DAYS
    assert (buyer_only & near).any() and (buyer_only & ~near).any()


def test_save_uplift_reads_the_generators_save_effect(monkeypatch):
    monkeypatch.setattr(model, "SAVE_EFFECT", 3.0)
    uplift = renewal.save_uplift(pd.Series([0.5]))
    assert uplift.iloc[0] == pytest.approx(0.5 - 1 / (1 + math.exp(3.0)))


def test_the_generator_plays_saves_with_the_same_save_effect(monkeypatch):
    # A huge effect makes every save play on a savable account hold; nothing else about the year changes.
    before = ca.generate_book(SEED, ACCOUNTS)
    monkeypatch.setattr(model, "SAVE_EFFECT", 50.0)
    after = ca.generate_book(SEED, ACCOUNTS)
    saved = (before.renewals["save_play_run"] & before.truth["savable"]).to_numpy()
    churned_before = (before.renewals["outcome"].astype(str) == "churned").to_numpy()
    churned_after = (after.renewals["outcome"].astype(str) == "churned").to_numpy()
    assert churned_before[saved].any() and not churned_after[saved].any()
    assert np.array_equal(churned_before[~saved], churned_after[~saved])


def test_savable_truth_is_the_sponsor_reach_rule_applied_to_the_evidence():
    book = ca.generate_book(SEED, ACCOUNTS)
    _assert_reach_is_exercised(book)
    truth = book.truth.set_index("account_id")["savable"].astype(bool)
    assert _savable_from_evidence(book).equals(truth)


def test_a_retuned_sponsor_reach_moves_the_generator_and_the_rule_together(monkeypatch):
    monkeypatch.setattr(model, "SPONSOR_REACH_DAYS", 60)
    book = ca.generate_book(SEED, ACCOUNTS)
    _assert_reach_is_exercised(book)
    truth = book.truth.set_index("account_id")["savable"].astype(bool)
    assert _savable_from_evidence(book).equals(truth)


def test_forecast_calls_have_one_home_in_the_generator():
    assert renewal.CALLS is FORECAST_CALLS
    assert renewal.SAFE_CALLS + renewal.RISK_CALLS == FORECAST_CALLS
    book = ca.generate_book(SEED, 300)
    assert tuple(book.renewals["csm_forecast"].cat.categories) == FORECAST_CALLS


def test_module_four_reads_module_threes_outcome_bar():
    assert renewal.OUTCOME_BAR is expansion.OUTCOME_BAR
