"""Charts are titled with labelled axes; the playground widget redraws when a slider moves."""

from __future__ import annotations

import pytest

from csm_academy import charts
from csm_academy.metrics import retention
from csm_academy.widgets import retention_playground


@pytest.fixture(scope="module")
def accounts(default_book):
    return default_book.accounts


def _assert_labelled(fig, title_part):
    layout = fig.layout
    assert title_part in layout.title.text
    assert layout.xaxis.title.text and layout.yaxis.title.text


def test_bridge_chart_is_titled_and_walks_to_ending_arr(accounts):
    bridge = retention.arr_bridge(accounts)
    fig = charts.arr_bridge_chart(bridge, title="Bridge")
    _assert_labelled(fig, "Bridge")
    assert list(fig.data[0].measure) == ["absolute", "relative", "relative", "relative", "total"]
    assert sum(fig.data[0].y[:-1]) == fig.data[0].y[-1]


def test_segment_chart_has_three_measures_per_segment(accounts):
    fig = charts.retention_by_segment_chart(retention.retention_by(accounts), title="By segment")
    _assert_labelled(fig, "By segment")
    assert len(fig.data) == 3 and list(fig.data[0].x) == ["SMB", "Mid-Market", "Enterprise"]


def test_cohort_heatmap_has_a_cell_per_segment_and_cohort(accounts):
    grid = retention.retention_grid(accounts)
    fig = charts.cohort_heatmap(grid, title="Cohorts")
    _assert_labelled(fig, "Cohorts")
    assert fig.data[0].z.shape == grid.shape


@pytest.mark.parametrize(("value", "text"), [(0, "$0"), (950, "$950"), (700_000, "$700K"), (4_600_000, "$4.6M")])
def test_dollars_read_like_a_csm_says_them(value, text):
    assert charts.dollars(value) == text


def test_playground_redraws_nrr_when_expansion_moves():
    box = retention_playground()
    expansion, _contraction, churn, summary, out = box.children
    assert "NRR 106.0%" in summary.value and "GRR 92.0%" in summary.value
    assert box.chart.layout.title.text.startswith("NRR 106.0%")
    expansion.value = 0
    assert "NRR 92.0%" in summary.value and box.chart.layout.title.text.startswith("NRR 92.0%")
    assert list(box.chart.data[0].y) == pytest.approx([0.92, 0.92])
    churn.value = 0
    assert "GRR 98.0%" in summary.value and "covering $0 of lost revenue" in summary.value


def test_forecast_heatmap_shades_each_call_by_its_share_and_prints_dollars():
    import pandas as pd

    table = pd.DataFrame(
        [[900, 0, 100], [0, 0, 0]], index=["commit", "lost"], columns=["renewed", "contracted", "churned"]
    )
    fig = charts.forecast_heatmap(table, title="Calls against outcomes")
    _assert_labelled(fig, "Calls against outcomes")
    assert fig.data[0].z.tolist() == [[0.9, 0.0, 0.1], [0.0, 0.0, 0.0]]  # an empty row stays blank, not NaN
    assert fig.data[0].text[0][0] == "$900 (90%)"


def test_save_strategies_chart_draws_a_line_per_strategy_from_zero_and_marks_the_budget():
    import pandas as pd

    curves = pd.DataFrame(
        {
            "strategy": ["a", "a", "b"],
            "account_id": [1, 2, 3],
            "hours": [4, 14, 24],
            "kept_arr": [1000.0, 1500.0, 800.0],
        }
    )
    fig = charts.save_strategies_chart(curves, budget=10, title="Hours and ARR")
    _assert_labelled(fig, "Hours and ARR")
    assert [t.name for t in fig.data] == ["a", "b"]
    assert list(fig.data[0].x) == [0, 4, 14] and list(fig.data[0].y) == [0, 1000.0, 1500.0]
    assert fig.layout.shapes[0].x0 == 10 and "10 hours" in fig.layout.annotations[0].text


def test_bridge_chart_draws_new_logos_as_a_labelled_step_that_adds_up():
    import pandas as pd

    bridge = pd.Series(
        {
            "Starting ARR": 200_000,
            retention.NEW_LOGOS_LINE: 100_000,
            "Expansion": 25_000,
            "Contraction": -10_000,
            "Churn": -30_000,
            "Ending ARR": 285_000,
        }
    )
    fig = charts.arr_bridge_chart(bridge, title="Bridge with new logos")
    _assert_labelled(fig, "Bridge with new logos")
    waterfall = fig.data[0]
    assert list(waterfall.x) == list(bridge.index)
    assert list(waterfall.measure) == ["absolute", "relative", "relative", "relative", "relative", "total"]
    assert waterfall.text[1] == "$100K" and sum(waterfall.y[:-1]) == waterfall.y[-1]
