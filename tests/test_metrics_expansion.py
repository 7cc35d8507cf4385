"""Expansion qualification formulas, each against a case small enough to work out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

import csm_academy as ca
from csm_academy.lessons import expansion as lesson
from csm_academy.metrics import expansion


def _pipeline(*rows: dict) -> pd.DataFrame:
    """Opportunities with sensible defaults: fully adopted, outcome reached, real use case, funded."""
    base = {
        "active_users": 9,
        "seats_purchased": 10,
        "milestones_hit": 8,
        "milestones_planned": 8,
        "use_case": "New team: Finance",
        "sponsor_interest": True,
        "sponsor_funded": True,
        "amount_arr": 10_000,
        "logins": 500,
    }
    return pd.DataFrame([{**base, "opportunity_id": i, **row} for i, row in enumerate(rows, start=11)])


def test_seat_utilisation_is_the_average_month_over_seats_purchased_and_zero_without_usage():
    accounts = pd.DataFrame({"account_id": [1, 2, 3], "seats_purchased": [10, 4, 5]})
    usage = pd.DataFrame({"account_id": [1, 1, 2, 2, 2], "active_users": [6, 8, 1, 2, 3]})
    got = expansion.seat_utilisation(accounts, usage)
    # Account 1: (6 + 8) / 2 = 7 of 10 seats; account 2: (1 + 2 + 3) / 3 = 2 of 4; account 3: nobody on record.
    assert got.to_dict() == pytest.approx({1: 0.7, 2: 0.5, 3: 0.0})


def test_value_is_proven_only_with_adoption_and_outcome_both_at_their_bars():
    pipe = _pipeline(
        {"active_users": 7, "milestones_hit": 5},  # 70% of seats, 5 of 8 = 62.5%: both bars met exactly
        {"active_users": 6},  # 60% of seats: adoption short
        {"milestones_hit": 4},  # 4 of 8 = 50%: outcome short
        {"active_users": 30, "seats_purchased": 100, "logins": 5_000},  # busy logins, 30% of seats
    )
    assert expansion.value_proven(pipe).to_dict() == {11: True, 12: False, 13: False, 14: False}


def test_a_real_use_case_is_a_new_team_region_or_workflow():
    pipe = _pipeline(
        {"use_case": "New team: Finance"},
        {"use_case": "More seats for the same team"},
        {"use_case": "Platform tier upgrade"},
        {"use_case": "New region: EMEA"},
    )
    assert expansion.real_use_case(pipe).to_dict() == {11: True, 12: False, 13: False, 14: True}


def test_interest_without_budget_is_not_funding():
    pipe = _pipeline({}, {"sponsor_funded": False}, {"sponsor_interest": False, "sponsor_funded": False})
    assert expansion.sponsor_funds(pipe).to_dict() == {11: True, 12: False, 13: False}


def test_three_of_three_is_pursue_two_is_maybe_one_or_none_is_no():
    pipe = _pipeline(
        {},  # 3 of 3
        {"sponsor_funded": False},  # value and use case: 2
        {"use_case": "Premium support add-on", "sponsor_funded": False},  # value only: 1
        {"active_users": 2, "use_case": "Premium support add-on", "sponsor_funded": False},  # none
    )
    counts = expansion.criteria_met(pipe)
    assert counts.to_dict() == {11: 3, 12: 2, 13: 1, 14: 0}
    assert expansion.verdicts(counts).to_dict() == {11: "pursue", 12: "maybe", 13: "no", 14: "no"}
    assert list(expansion.qualify(pipe)["verdict"]) == ["pursue", "maybe", "no", "no"]


def test_contraction_rate_counts_won_upsells_that_contracted_and_nothing_else():
    closed = pd.DataFrame(
        {
            "opportunity_id": [1, 2, 3, 4, 5, 6, 7],
            "account_id": [101, 102, 103, 104, 105, 106, 107],
            "stage": ["won", "won", "won", "won", "won", "won", "lost"],
            "value_proven": [False, False, False, False, True, True, False],
        }
    )
    renewals = pd.DataFrame(
        {
            "account_id": [101, 102, 103, 104, 105, 106, 107],
            "outcome": ["contracted", "contracted", "renewed", "churned", "renewed", "expanded", "contracted"],
            "arr_due": [0] * 7,
            "arr_after": [0] * 7,
        }
    )
    # Without proven value: 2 of 4 won upsells contracted (the churned one is not a contraction, the lost
    # proposal never reached the contract); with proven value: 0 of 2.
    assert expansion.contraction_rates(closed, renewals) == {expansion.WITHOUT: 0.5, expansion.WITH: 0.0}


def test_contraction_rate_of_an_empty_group_is_refused():
    closed = pd.DataFrame({"opportunity_id": [1], "account_id": [101], "stage": ["won"], "value_proven": [True]})
    renewals = pd.DataFrame({"account_id": [101], "outcome": ["renewed"], "arr_due": [0], "arr_after": [0]})
    with pytest.raises(ValueError, match="no won upsells"):
        expansion.contraction_rates(closed, renewals)


def test_durable_arr_is_what_survived_the_next_renewal():
    closed = pd.DataFrame(
        {
            "opportunity_id": [1, 2, 3, 4, 5, 6],
            "account_id": [101, 102, 103, 104, 105, 106],
            "stage": ["won", "won", "won", "lost", "won", "won"],
            "amount_arr": [40_000, 40_000, 40_000, 40_000, 40_000, 40_000],
        }
    )
    renewals = pd.DataFrame(
        {
            "account_id": [101, 102, 103, 104, 105, 106],
            "outcome": ["contracted", "contracted", "churned", "renewed", "renewed", "expanded"],
            "arr_due": [200_000, 200_000, 200_000, 200_000, 200_000, 200_000],
            "arr_after": [170_000, 140_000, 0, 200_000, 200_000, 230_000],
        }
    )
    got = expansion.durable_arr(closed, renewals).to_dict()
    # 40K - 30K contraction = 10K; a 60K contraction claws back all of it (never below 0); churn keeps
    # nothing; a lost proposal keeps nothing; a clean renewal or a later true-up keeps all 40K.
    assert got == {1: 10_000, 2: 0, 3: 0, 4: 0, 5: 40_000, 6: 40_000}


def test_hold_rates_are_durable_over_proposed_arr_per_verdict():
    closed = pd.DataFrame(
        {
            "opportunity_id": [1, 2, 3],
            "account_id": [101, 102, 103],
            "stage": ["won", "lost", "won"],
            "amount_arr": [40_000, 10_000, 20_000],
            "verdict": ["pursue", "pursue", "no"],
        }
    )
    renewals = pd.DataFrame(
        {
            "account_id": [101, 102, 103],
            "outcome": ["renewed", "renewed", "contracted"],
            "arr_due": [100_000, 100_000, 100_000],
            "arr_after": [100_000, 100_000, 85_000],
        }
    )
    # pursue: 40K kept of 50K proposed; no: 20K - 15K = 5K kept of 20K.
    assert expansion.hold_rates(closed, renewals).to_dict() == pytest.approx({"pursue": 0.8, "no": 0.25})


def test_expansion_splits_won_arr_into_csm_influenced_and_automatic_per_csm():
    ledger = pd.DataFrame(
        {
            "csm": ["Avery", "Avery", "Avery", "Jordan", "Riley"],
            "source": ["CSM", "usage tier", "CSM", "usage tier", "CSM"],
            "stage": ["won", "won", "lost", "won", "lost"],
            "amount_arr": [10_000, 5_000, 20_000, 3_000, 7_000],
        }
    )
    got = expansion.expansion_by_source(ledger)
    # Riley only lost a proposal, so has no row; lost ARR is never credited.
    assert got.to_dict("index") == {
        "Avery": {expansion.CSM_INFLUENCED: 10_000.0, expansion.AUTOMATIC: 5_000.0},
        "Jordan": {expansion.CSM_INFLUENCED: 0.0, expansion.AUTOMATIC: 3_000.0},
    }


def test_crediting_automatic_expansion_to_the_csm_inflates_their_nrr():
    accounts = pd.DataFrame(
        {
            "account_id": [1, 2],
            "csm": ["Avery", "Avery"],
            "arr_start": [60_000, 40_000],
            "expansion_arr": [15_000, 0],
            "contraction_arr": [0, 0],
            "churn_arr": [0, 10_000],
        }
    )
    got = expansion.nrr_with_and_without_automatic(accounts, pd.Series({1: 5_000}))
    # Reported: (100K - 10K + 15K) / 100K = 105%; without the 5K tier step-up: 100%.
    assert got.loc["Avery"].to_dict() == pytest.approx(
        {"nrr_reported": 1.05, "nrr_csm_influenced": 1.00, "inflation": 0.05}
    )


def test_capacity_is_a_fifth_of_the_pipeline_and_at_least_one():
    assert expansion.capacity_for(pd.DataFrame(index=range(14))) == 2
    assert expansion.capacity_for(pd.DataFrame(index=range(3))) == 1
    assert expansion.capacity_for(pd.DataFrame()) == 1


def test_choose_motions_skips_the_nos_and_ranks_by_expected_durable_arr():
    pipe = _pipeline(
        {"amount_arr": 10_000},  # pursue: 8,500 expected
        {"amount_arr": 30_000, "sponsor_funded": False},  # maybe: 15,000
        {"amount_arr": 12_000, "sponsor_funded": False},  # maybe: 6,000
        {"amount_arr": 100_000, "active_users": 3, "sponsor_funded": False},  # no: never worked
        {"amount_arr": 5_000},  # pursue: 4,250
    )
    assert expansion.choose_motions(pipe, 3) == [12, 11, 13]
    assert expansion.choose_motions(pipe, 10) == [12, 11, 13, 15]


def test_best_durable_and_durable_of_a_choice():
    durable = pd.Series({1: 10_000.0, 2: 0.0, 3: 25_000.0, 4: 5_000.0})
    assert expansion.best_durable(durable, 2) == 35_000
    assert expansion.durable_of([4, 2, 4], durable) == 5_000  # each opportunity counts once


def test_on_a_large_book_upsells_without_proven_value_contract_far_more_often():
    book = ca.generate_book(2025, 6000)
    rates = expansion.contraction_rates(lesson.closed_pipeline(book), lesson.renewals_view(book))
    assert rates[expansion.WITHOUT] > 2.5 * rates[expansion.WITH]
    qualified = expansion.qualify(lesson.closed_pipeline(book))
    holds = expansion.hold_rates(qualified, lesson.renewals_view(book))
    assert holds["pursue"] > holds["maybe"] > holds["no"]


@pytest.fixture(scope="module")
def teaching_book():
    return ca.load_book("starter-500")


def _assert_labelled(fig, title: str) -> None:
    assert fig.layout.title.text == title and title.count("$") < 2  # two dollar signs read as LaTeX
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text


def test_module_three_charts_are_titled_labelled_and_in_dollars(teaching_book):
    from csm_academy import charts

    util = charts.utilisation_outcome_chart(lesson.outcomes_by_utilisation(teaching_book), title="Utilisation")
    _assert_labelled(util, "Utilisation")
    assert [t.name for t in util.data] == ["Renewed or expanded", "Contracted", "Churned"]

    rates = expansion.contraction_rates(lesson.closed_pipeline(teaching_book), lesson.renewals_view(teaching_book))
    bars = charts.contraction_comparison_chart(rates, {expansion.WITHOUT: 27, expansion.WITH: 73}, title="Contraction")
    _assert_labelled(bars, "Contraction")
    assert list(bars.data[0].y) == [rates[expansion.WITHOUT], rates[expansion.WITH]]

    verdicts = charts.pipeline_by_verdict_chart(lesson.pipeline_by_verdict(teaching_book), title="Verdicts")
    _assert_labelled(verdicts, "Verdicts")
    assert verdicts.layout.yaxis.tickprefix == "$" and len(verdicts.data) == 2

    table = expansion.expansion_by_source(lesson.expansion_ledger(teaching_book))
    attribution = charts.expansion_attribution_chart(table, title="Attribution")
    _assert_labelled(attribution, "Attribution")
    assert sum(sum(t.y) for t in attribution.data) == table.to_numpy().sum()

    strategy = charts.strategy_chart(lesson.strategies(teaching_book), title="Strategies")
    _assert_labelled(strategy, "Strategies")
    assert all(text.startswith("$") for t in strategy.data for text in t.text)


def test_outcomes_by_utilisation_shares_add_up_per_band(teaching_book):
    table = lesson.outcomes_by_utilisation(teaching_book)
    assert table[["held", "contracted", "churned"]].sum(axis=1).round(9).eq(1).all()
    assert table["upsells"].sum() == (lesson.closed_pipeline(teaching_book)["stage"] == "won").sum()


def test_strategies_never_pitch_a_no_except_order_taking(teaching_book):
    table = lesson.strategies(teaching_book)
    assert table["on_a_no"].iloc[1:].eq(0).all() and table["on_a_no"].iloc[0] > 0
    assert table["motions"].nunique() == 1
