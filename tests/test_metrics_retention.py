"""Retention formulas against cases computed by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from csm_academy.metrics import retention


def _book(rows):
    frame = pd.DataFrame(rows, columns=["segment", "arr_start", "expansion_arr", "contraction_arr", "churn_arr"])
    frame["arr_end"] = frame["arr_start"] + frame["expansion_arr"] - frame["contraction_arr"] - frame["churn_arr"]
    frame["churned"] = (frame["arr_end"] == 0) & (frame["churn_arr"] > 0)
    return frame


def five_million_book():
    """The seeds' case: $5M renews at $4.6M and expands by $700K."""
    return _book(
        [
            ("Enterprise", 3_000_000, 700_000, 100_000, 0),
            ("Mid-Market", 1_500_000, 0, 0, 200_000 * 0),
            ("SMB", 300_000, 0, 0, 300_000),
            ("SMB", 200_000, 0, 0, 0),
        ]
    )


def test_five_million_book_runs_at_106_nrr_and_92_grr():
    acc = five_million_book()
    assert acc["arr_start"].sum() == 5_000_000
    assert retention.nrr(acc) == pytest.approx(1.06)
    assert retention.grr(acc) == pytest.approx(0.92)
    assert retention.masked_churn(acc) == 400_000


def test_grr_never_exceeds_one_even_with_whale_expansion():
    acc = _book([("Enterprise", 100_000, 900_000, 0, 0), ("SMB", 10_000, 0, 0, 10_000)])
    assert retention.grr(acc) == pytest.approx(100_000 / 110_000)
    assert retention.nrr(acc) == pytest.approx(1_000_000 / 110_000)


def test_logo_retention_counts_accounts_not_dollars():
    acc = _book([("Enterprise", 1_000_000, 0, 0, 0), ("SMB", 5_000, 0, 0, 5_000), ("SMB", 5_000, 0, 0, 5_000)])
    assert retention.logo_retention(acc) == pytest.approx(1 / 3)
    assert retention.grr(acc) == pytest.approx(1_000_000 / 1_010_000)


def test_book_with_no_churn_retains_everything():
    acc = _book([("SMB", 10_000, 2_000, 0, 0), ("SMB", 20_000, 0, 0, 0)])
    assert retention.grr(acc) == 1.0 and retention.logo_retention(acc) == 1.0
    assert retention.nrr(acc) == pytest.approx(32_000 / 30_000)
    assert retention.masked_churn(acc) == 0


def test_arr_bridge_walks_from_start_to_end():
    bridge = retention.arr_bridge(five_million_book())
    assert bridge.to_dict() == {
        "Starting ARR": 5_000_000,
        "Expansion": 700_000,
        "Contraction": -100_000,
        "Churn": -300_000,
        "Ending ARR": 5_300_000,
    }
    assert bridge.iloc[:-1].sum() == bridge["Ending ARR"]


def test_retention_by_segment_matches_the_formulas_per_segment():
    table = retention.retention_by(five_million_book(), "segment")
    assert list(table.index) == ["Enterprise", "Mid-Market", "SMB"]
    assert table.loc["Enterprise", "nrr"] == pytest.approx(3_600_000 / 3_000_000)
    assert table.loc["SMB", "grr"] == pytest.approx(200_000 / 500_000)
    assert table.loc["SMB", "logo_retention"] == pytest.approx(0.5)


def test_empty_book_says_retention_is_undefined():
    empty = _book([])
    with pytest.raises(ValueError, match="no starting ARR"):
        retention.nrr(empty)
    with pytest.raises(ValueError, match="no starting accounts"):
        retention.logo_retention(empty)


def with_new_logos():
    """The five-million book plus two logos landed in the year ($250K and $50K, no starting ARR)."""
    book = five_million_book()
    landed = pd.DataFrame(
        {
            "segment": ["Enterprise", "SMB"],
            "arr_start": 0,
            "expansion_arr": 0,
            "contraction_arr": 0,
            "churn_arr": 0,
            "arr_end": [250_000, 50_000],
            "churned": False,
        }
    )
    return pd.concat([book, landed], ignore_index=True)


def test_new_logos_leave_every_retention_figure_unchanged():
    starting, mixed = five_million_book(), with_new_logos()
    assert retention.nrr(mixed) == retention.nrr(starting) == pytest.approx(1.06)
    assert retention.grr(mixed) == retention.grr(starting) == pytest.approx(0.92)
    assert retention.logo_retention(mixed) == retention.logo_retention(starting) == pytest.approx(0.75)
    assert retention.masked_churn(mixed) == retention.masked_churn(starting) == 400_000
    pd.testing.assert_frame_equal(retention.retention_by(mixed), retention.retention_by(starting))


def test_a_segment_of_new_logos_only_gets_no_retention_row():
    mixed = with_new_logos()
    mixed.loc[mixed["arr_start"] == 0, "segment"] = "Strategic"
    assert "Strategic" not in retention.retention_by(mixed).index


def test_bridge_shows_new_logo_arr_as_its_own_line_and_still_walks_to_ending_arr():
    bridge = retention.arr_bridge(with_new_logos())
    assert bridge.to_dict() == {
        "Starting ARR": 5_000_000,
        "New logos": 300_000,
        "Expansion": 700_000,
        "Contraction": -100_000,
        "Churn": -300_000,
        "Ending ARR": 5_600_000,
    }
    assert bridge.iloc[:-1].sum() == bridge["Ending ARR"]


def test_bridge_of_a_starting_book_has_no_new_logo_line():
    assert retention.NEW_LOGOS_LINE not in retention.arr_bridge(five_million_book()).index


def test_headline_figures_are_the_formulas_results():
    figures = retention.headline(with_new_logos())
    assert figures == retention.RetentionFigures(starting_arr=5_000_000, nrr=1.06, grr=0.92, masked_churn=400_000)
