"""A large default book lands in published SaaS benchmark bands, and the taught situations occur."""

from __future__ import annotations

import pytest

from csm_academy import constants as C
from csm_academy.metrics import situations as S
from csm_academy.metrics.retention import retention_by


@pytest.mark.parametrize("segment", C.SEGMENTS)
def test_segment_nrr_and_grr_land_in_benchmark_bands(large_book, segment):
    row = retention_by(large_book.accounts).loc[segment]
    lo, hi = C.BENCHMARK_BANDS[segment]["nrr"]
    assert lo <= row["nrr"] <= hi, f"{segment} NRR {row['nrr']:.3f} outside {lo}-{hi}"
    lo, hi = C.BENCHMARK_BANDS[segment]["grr"]
    assert lo <= row["grr"] <= hi, f"{segment} GRR {row['grr']:.3f} outside {lo}-{hi}"


def test_blended_logo_churn_lands_in_band(large_book):
    lo, hi = C.BLENDED_LOGO_CHURN_BAND
    assert lo <= large_book.accounts["churned"].mean() <= hi


def test_green_dashboard_churn_occurs(default_book):
    found = S.green_dashboard_churn(default_book)
    churned = default_book.accounts["churned"].sum()
    assert 3 <= len(found) <= 0.25 * churned


def test_a_segment_grows_dollars_while_losing_logos(default_book):
    found = S.whale_masked_segments(default_book)
    assert len(found) >= 1
    # the growth is concentrated: the top 5% of accounts bring a large share of the expansion
    assert (found["top5pct_expansion_share"] > 0.3).all()


def test_order_taking_upsells_mostly_contract_or_churn_at_renewal(default_book):
    found = S.order_taking_upsells(default_book)
    assert len(found) >= 10
    bad = found["renewal_outcome"].isin(["contracted", "churned"]).mean()
    qualified = default_book.opportunities.query("source == 'CSM' and stage == 'won' and seat_utilisation >= 0.7")
    outcome = default_book.renewals.set_index("account_id")["outcome"]
    qualified_bad = qualified["account_id"].map(outcome).isin(["contracted", "churned"]).mean()
    assert bad > 0.5 and bad > 2 * qualified_bad


def test_mis_sold_accounts_exist_and_churn_far_more(default_book):
    found = S.mis_sold(default_book)
    assert 0.04 <= len(found) / len(default_book.accounts) <= 0.2
    assert found["churned"].mean() > 2 * default_book.accounts["churned"].mean()


def test_some_at_risk_calls_were_only_technicalities(default_book):
    found = S.technicality_risks(default_book)
    assert len(found) >= 20
    assert (found["outcome"] != "churned").all()


def test_usage_tiers_add_expansion_nobody_sold(default_book):
    auto = S.automatic_expansion(default_book)
    assert len(auto) >= 10
    share = auto["amount_arr"].sum() / default_book.accounts["expansion_arr"].sum()
    assert 0.03 <= share <= 0.6


def test_slow_time_to_value_predicts_churn(default_book):
    rates = S.churn_rate_by(default_book, S.slow_onboarding(default_book))
    assert rates[True] > 2 * rates[False]


def test_single_threaded_accounts_churn_when_the_champion_goes(default_book):
    rates = S.churn_rate_by(default_book, S.single_threaded_champion_loss(default_book))
    assert rates[True] > 1.8 * rates[False]


def test_logins_alone_barely_separate_churners(default_book):
    # the vanity signal: heavy-login accounts churn nearly as often as the rest
    lps = S.logins_per_seat(default_book)
    rates = S.churn_rate_by(default_book, lps >= lps.median())
    assert rates[True] > 0.5 * rates[False]
