"""The retention figures agree wherever the course shows them: metrics, the module 1 references and the playground.

The finance report of module 1 mixes the year's new logos (arr_start 0) into the starting book;
retention is measured on the starting accounts only, and the bridge shows the new logos as a line.
"""

from __future__ import annotations

import pandas as pd
import pytest

import csm_academy as ca
from csm_academy import charts
from csm_academy.lessons import nrr_math
from csm_academy.metrics import retention
from csm_academy.widgets import retention_playground


def finance_report() -> pd.DataFrame:
    """Four starting accounts (one churns) and two logos landed in the year, in the report's own columns."""
    rows = [
        # account_id, name, segment, cohort, arr_start, new_arr, expansion, contraction, churn, arr_end, churned
        (1, "Acme", "Enterprise", 2021, 100_000, 0, 20_000, 0, 0, 120_000, False),
        (2, "Birch", "Mid-Market", 2022, 50_000, 0, 0, 10_000, 0, 40_000, False),
        (3, "Cobalt", "SMB", 2023, 30_000, 0, 0, 0, 30_000, 0, True),
        (4, "Dune", "SMB", 2023, 20_000, 0, 5_000, 0, 0, 25_000, False),
        (5, "Ember", "SMB", 2025, 0, 40_000, 0, 0, 0, 40_000, False),
        (6, "Fjord", "Enterprise", 2025, 0, 60_000, 0, 0, 0, 60_000, False),
    ]
    return pd.DataFrame(rows, columns=list(nrr_math.REPORT_COLUMNS))


# By hand, over the four starting accounts: start 200K, expansion 25K, contraction 10K, churn 30K.
NRR = (200_000 + 25_000 - 10_000 - 30_000) / 200_000  # 0.925
GRR = (200_000 - 10_000 - 30_000) / 200_000  # 0.80
LOGO_RETENTION = 3 / 4  # one of four starting logos churned; the two new logos do not count
MASKED = 25_000  # expansion (25K) covers 25K of the 40K lost


def test_metrics_give_the_hand_computed_figures_on_a_report_with_new_logos():
    report = finance_report()
    assert retention.nrr(report) == pytest.approx(NRR)
    assert retention.grr(report) == pytest.approx(GRR)
    assert retention.logo_retention(report) == pytest.approx(LOGO_RETENTION)
    assert retention.masked_churn(report) == MASKED


def test_lesson_references_give_the_same_figures_as_the_metrics():
    report = finance_report()
    assert nrr_math.nrr_of(report) == retention.nrr(report)
    assert nrr_math.grr_of(report) == retention.grr(report)
    assert nrr_math.logo_retention_of(report) == retention.logo_retention(report) == LOGO_RETENTION
    assert nrr_math.masked_churn_of(report) == retention.masked_churn(report) == MASKED


def test_segment_table_ignores_new_logos_in_lesson_and_metrics_alike():
    report = finance_report()
    expected = pd.DataFrame(
        {"nrr": [1.2, 0.8, 0.5], "grr": [1.0, 0.8, 0.4], "logo_retention": [1.0, 1.0, 0.5]},
        index=["Enterprise", "Mid-Market", "SMB"],
    )
    pd.testing.assert_frame_equal(nrr_math.retention_table_of(report), expected)
    by_segment = retention.retention_by(report)[["nrr", "grr", "logo_retention"]]
    pd.testing.assert_frame_equal(by_segment.rename_axis(None), expected)
    assert retention.retention_by(report)["accounts"].tolist() == [1, 1, 2]


def test_bridge_of_the_report_shows_new_logos_and_walks_to_its_ending_arr():
    report = finance_report()
    bridge = retention.arr_bridge(report)
    assert bridge.to_dict() == {
        "Starting ARR": 200_000,
        "New logos": 100_000,
        "Expansion": 25_000,
        "Contraction": -10_000,
        "Churn": -30_000,
        "Ending ARR": int(report["arr_end"].sum()),
    }
    fig = charts.arr_bridge_chart(bridge, title="Bridge")
    assert list(fig.data[0].x) == list(bridge.index)
    assert sum(fig.data[0].y[:-1]) == fig.data[0].y[-1] == 285_000


def test_playground_shows_the_figures_of_the_metrics_and_the_lesson():
    report = finance_report()
    box = retention_playground(start=200_000, expansion=25_000, contraction=10_000, churn=30_000)
    assert box.figures == retention.headline(report)
    assert box.figures.nrr == nrr_math.nrr_of(report) and box.figures.grr == nrr_math.grr_of(report)
    assert box.figures.masked_churn == nrr_math.masked_churn_of(report)
    assert list(box.chart.data[0].y) == pytest.approx([NRR, GRR])
    summary = box.children[3].value
    assert "NRR 92.5%" in summary and "GRR 80.0%" in summary and "covering $25K of lost revenue" in summary


def test_playground_figures_follow_the_sliders():
    box = retention_playground(start=200_000, expansion=25_000, contraction=10_000, churn=30_000)
    _expansion, _contraction, churn, _summary, _out = box.children
    churn.value = 0  # the churned account is saved: only the 10K contraction is lost
    assert box.figures == retention.RetentionFigures(starting_arr=200_000, nrr=1.075, grr=0.95, masked_churn=10_000)
    assert list(box.chart.data[0].y) == pytest.approx([1.075, 0.95])


@pytest.mark.parametrize("seed", [1102, 40913])
def test_a_generated_finance_report_and_its_starting_book_give_the_same_retention(seed):
    book = ca.generate_book(seed, 300)
    report, accounts = nrr_math.arr_report(book), book.accounts
    assert (report["arr_start"] == 0).sum() == len(book.new_logos) > 0  # the report does mix in new logos
    assert nrr_math.nrr_of(report) == retention.nrr(accounts)
    assert nrr_math.grr_of(report) == retention.grr(accounts)
    assert nrr_math.logo_retention_of(report) == retention.logo_retention(accounts)
    assert nrr_math.masked_churn_of(report) == retention.masked_churn(accounts)
    table = retention.retention_by(accounts)[["nrr", "grr", "logo_retention"]]
    table.index = table.index.astype(str)
    pd.testing.assert_frame_equal(nrr_math.retention_table_of(report), table.rename_axis(None), check_like=True)


@pytest.mark.parametrize("seed", [1102, 40913])
def test_a_generated_report_bridge_is_the_starting_bridge_plus_a_new_logo_line(seed):
    book = ca.generate_book(seed, 300)
    with_new = retention.arr_bridge(nrr_math.arr_report(book))
    starting = retention.arr_bridge(book.accounts)
    new_arr = int(book.new_logos["arr"].sum())
    assert retention.NEW_LOGOS_LINE not in starting.index
    assert with_new[retention.NEW_LOGOS_LINE] == new_arr
    assert with_new.drop([retention.NEW_LOGOS_LINE, "Ending ARR"]).equals(starting.drop("Ending ARR"))
    assert with_new["Ending ARR"] == starting["Ending ARR"] + new_arr == with_new.iloc[:-1].sum()
