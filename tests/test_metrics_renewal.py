"""Renewal arithmetic checked against cases worked by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from csm_academy.book import model
from csm_academy.metrics import renewal


def _renewals() -> pd.DataFrame:
    # Five renewals worked by hand: 100 commit renewed, 200 commit churned, 50 likely expanded,
    # 80 at-risk contracted, 30 lost renewed.
    return pd.DataFrame(
        {
            "account_id": [1, 2, 3, 4, 5],
            "arr_due": [100, 200, 50, 80, 30],
            "csm_forecast": ["commit", "commit", "likely", "at-risk", "lost"],
            "outcome": ["renewed", "churned", "expanded", "contracted", "renewed"],
            "arr_after": [100, 0, 70, 60, 30],
        }
    )


def test_forecast_table_adds_arr_due_by_call_and_fate_with_expanded_as_renewed():
    table = renewal.forecast_vs_outcome(_renewals())
    assert list(table.index) == ["commit", "likely", "at-risk", "lost"]
    assert list(table.columns) == ["renewed", "contracted", "churned"]
    assert table.loc["commit"].tolist() == [100, 0, 200]
    assert table.loc["likely"].tolist() == [50, 0, 0]
    assert table.loc["at-risk"].tolist() == [0, 80, 0]
    assert table.loc["lost"].tolist() == [30, 0, 0]


def test_surprises_count_safe_calls_that_churned_and_lost_calls_that_stayed():
    assert renewal.surprises(_renewals()) == {"called_safe_churned": 200.0, "called_lost_renewed": 30.0}


def test_forecast_scores_by_hand():
    r = _renewals().set_index("account_id")
    churned = r["outcome"] == "churned"
    scores = renewal.forecast_scores(r["csm_forecast"], r["arr_due"].astype(float), churned)
    # Churned ARR 200, all called safe: surprise 1.0. Kept ARR 260, of which 80 + 30 called at-risk/lost.
    assert scores["surprise_share"] == 1.0
    assert math.isclose(scores["false_alarm_share"], 110 / 260)
    assert math.isclose(scores["balanced_accuracy"], 1 - (1.0 + 110 / 260) / 2)


def test_calling_everything_one_way_scores_one_half():
    r = _renewals().set_index("account_id")
    churned = r["outcome"] == "churned"
    for call in ("commit", "lost"):
        calls = pd.Series(call, index=r.index)
        assert renewal.forecast_scores(calls, r["arr_due"].astype(float), churned)["balanced_accuracy"] == 0.5


def _pipeline() -> pd.DataFrame:
    base = {
        "industry": "Retail",
        "onboarding_days": 30,
        "tickets": 10,
        "missing_feature_tickets": 1,
        "milestones_hit": 7,
        "milestones_planned": 8,
        "seat_utilisation": 0.8,
        "champion_in_place": True,
        "contacts_engaged": 3,
        "days_since_buyer_met": 20,
        "competitor_mentioned": False,
        "health_score": 80.0,
    }
    rows = [
        {},  # nothing wrong: 0 points, commit
        {"competitor_mentioned": True, "days_since_buyer_met": 120},  # 2 points: likely
        {"champion_in_place": False, "contacts_engaged": 1, "seat_utilisation": 0.3},  # 2 + 1: at-risk
        # fit gap (industry + slow) 2, value gap 2, under-used 1: 5, lost
        {"industry": "Field Services", "onboarding_days": 150, "milestones_hit": 2, "seat_utilisation": 0.4},
        {"tickets": 0, "missing_feature_tickets": 0, "onboarding_days": 120},  # one clue only: commit
        {"tickets": 10, "missing_feature_tickets": 4, "onboarding_days": 95},  # two clues: fit gap, 2 likely
    ]
    return pd.DataFrame([{"account_id": 100 + i, **base, **r} for i, r in enumerate(rows)])


def test_fit_gap_needs_two_clues_that_agree():
    flags = renewal.fit_gap(_pipeline())
    assert flags.tolist() == [False, False, False, True, False, True]


def test_risk_points_and_calls_by_hand():
    p = _pipeline()
    assert renewal.risk_points(p).tolist() == [0, 2, 3, 5, 0, 2]
    assert renewal.triage(p).tolist() == ["commit", "likely", "at-risk", "lost", "commit", "likely"]


def test_calls_read_off_one_signal_are_recognised_and_mixed_calls_are_not():
    health = pd.Series([90.0, 70.0, 50.0, 30.0], index=[1, 2, 3, 4])
    by_health = pd.Series(["commit", "likely", "at-risk", "lost"], index=[1, 2, 3, 4])
    assert renewal.follows_one_signal(by_health, health)
    mixed = pd.Series(["likely", "commit", "at-risk", "lost"], index=[1, 2, 3, 4])
    assert not renewal.follows_one_signal(mixed, health)


def _desk() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": [1, 2, 3, 4],
            "segment": ["Enterprise", "Mid-Market", "SMB", "Mid-Market"],
            "arr_due": [500_000, 90_000, 8_000, 120_000],
            "fit_gap": [False, False, False, True],
            "sponsor_reachable": [True, True, True, True],
            "champion_in_place": [True, False, True, True],
            "days_since_buyer_met": [30, 10, 200, 10],
            "hours_needed": [24, 10, 4, 10],
        }
    )


def test_lever_puts_fit_first_then_sponsorship_then_value():
    levers = ["close the value gap", "rebuild sponsorship", "rebuild sponsorship", "clean exit"]
    assert renewal.lever(_desk()).tolist() == levers


def test_plan_skips_fit_gaps_and_fills_hours_by_arr_per_hour():
    # ARR per hour: 1 -> 20,833; 2 -> 9,000; 3 -> 2,000 (4 has a fit gap). Budget 30: 24 + 4, 10 does not fit.
    assert renewal.plan(_desk(), 30) == [1, 3]
    assert renewal.hours_budget(_desk()) == round(48 * 0.3)


def test_best_plan_value_is_the_exact_knapsack_not_the_greedy_one():
    values = pd.Series({1: 60.0, 2: 50.0, 3: 50.0})
    hours = pd.Series({1: 6, 2: 5, 3: 5})
    # Greedy by value per hour takes 1 (10/h) and then nothing fits in 4 hours: 60. Best: 2 + 3 = 100.
    assert renewal.best_plan_value(values, hours, 10) == 100.0


def test_save_uplift_matches_the_model_by_hand():
    # The model takes SAVE_EFFECT off the log-odds of churn: at even odds, churn falls to 1 / (1 + e^effect).
    uplift = renewal.save_uplift(pd.Series([0.5]))
    assert uplift.iloc[0] == pytest.approx(0.5 - 1 / (1 + math.exp(model.SAVE_EFFECT)))


def test_real_saves_need_a_play_a_renewal_and_real_risk():
    claims = pd.DataFrame(
        {
            "account_id": [1, 2, 3, 4],
            "save_play_run": [True, True, False, True],
            "outcome": ["renewed", "renewed", "renewed", "churned"],
            "triage_call": ["at-risk", "commit", "lost", "lost"],
        }
    )
    assert renewal.real_saves(claims).tolist() == [True, False, False, False]
