"""The charts a CSM wants, each titled, with labelled axes and money in dollars (plotly)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from csm_academy import constants as C

GREEN, RED, GREY, BLUE, AMBER = "#2e7d32", "#c62828", "#607d8b", "#1565c0", "#f9a825"
_LAYOUT = {"template": "plotly_white", "height": 420, "margin": {"l": 70, "r": 30, "t": 70, "b": 60}}


def dollars(value: float) -> str:
    """Money the way a CSM says it: $4.6M, $700K, $950."""
    sign = "-" if value < 0 else ""
    v = abs(float(value))
    if v >= 1e6:
        return f"{sign}${v / 1e6:,.1f}M"
    if v >= 1e3:
        return f"{sign}${v / 1e3:,.0f}K"
    return f"{sign}${v:,.0f}"


def arr_bridge_chart(bridge: pd.Series, title: str = "ARR bridge") -> go.Figure:
    """A waterfall from starting ARR through expansion, contraction and churn to ending ARR."""
    labels = list(bridge.index)
    values = [float(v) for v in bridge.to_numpy()]
    measure = ["absolute"] + ["relative"] * (len(values) - 2) + ["total"]
    fig = go.Figure(
        go.Waterfall(
            x=labels,
            y=values,
            measure=measure,
            text=[dollars(v) for v in values],
            textposition="outside",
            increasing={"marker": {"color": GREEN}},
            decreasing={"marker": {"color": RED}},
            totals={"marker": {"color": BLUE}},
            connector={"line": {"color": GREY, "width": 1}},
        )
    )
    top = max(values[0], values[-1], values[0] + sum(v for v in values[1:-1] if v > 0))
    fig.update_layout(
        title=title,
        xaxis_title="Movement in the year",
        yaxis_title="ARR (US dollars)",
        yaxis={"tickprefix": "$", "tickformat": "~s", "range": [0, top * 1.15]},
        showlegend=False,
        **_LAYOUT,
    )
    return fig


def retention_by_segment_chart(table: pd.DataFrame, title: str = "Retention by segment") -> go.Figure:
    """NRR, GRR and logo retention side by side per segment, against the 100% line."""
    order = [s for s in C.SEGMENTS if s in table.index] + [s for s in table.index if s not in C.SEGMENTS]
    table = table.loc[order]
    fig = go.Figure()
    for col, name, colour in (
        ("nrr", "NRR (dollars, with expansion)", BLUE),
        ("grr", "GRR (dollars, losses only)", GREY),
        ("logo_retention", "Logo retention (accounts)", AMBER),
    ):
        fig.add_bar(
            x=list(table.index),
            y=table[col],
            name=name,
            marker_color=colour,
            text=[f"{v:.0%}" for v in table[col]],
            textposition="outside",
        )
    fig.add_hline(y=1.0, line_dash="dot", line_color="black", annotation_text="100%", annotation_position="top left")
    low = float(table[["nrr", "grr", "logo_retention"]].min().min())
    fig.update_layout(
        title=title,
        xaxis_title="Segment",
        yaxis_title="Retention (share of the starting book)",
        yaxis={"tickformat": ".0%", "range": [min(0.6, low - 0.05), max(1.2, float(table["nrr"].max()) + 0.08)]},
        barmode="group",
        legend={"orientation": "h", "y": -0.2},
        **_LAYOUT,
    )
    return fig


def cohort_heatmap(table: pd.DataFrame, title: str = "NRR by segment and signing cohort") -> go.Figure:
    """A heatmap of a retention figure, one row per segment and one column per cohort."""
    fig = go.Figure(
        go.Heatmap(
            z=table.to_numpy(),
            x=[str(c) for c in table.columns],
            y=list(table.index),
            colorscale="RdYlGn",
            zmid=1.0,
            text=[[("" if pd.isna(v) else f"{v:.0%}") for v in row] for row in table.to_numpy()],
            texttemplate="%{text}",
            colorbar={"title": "NRR", "tickformat": ".0%"},
            hovertemplate="Segment %{y}, cohort %{x}: %{z:.1%}<extra></extra>",
        )
    )
    fig.update_layout(title=title, xaxis_title="Year the account first signed", yaxis_title="Segment", **_LAYOUT)
    return fig


def retention_gauge_chart(nrr: float, grr: float, title: str) -> go.Figure:
    """Two bars, NRR and GRR, against the 100% line: what the playground redraws."""
    fig = go.Figure(
        go.Bar(
            x=["NRR", "GRR"],
            y=[nrr, grr],
            marker_color=[BLUE, GREY],
            text=[f"{nrr:.1%}", f"{grr:.1%}"],
            textposition="outside",
        )
    )
    fig.add_hline(y=1.0, line_dash="dot", line_color="black")
    fig.update_layout(
        title=title,
        xaxis_title="Measure",
        yaxis_title="Retention (share of starting ARR)",
        yaxis={"tickformat": ".0%", "range": [0, 1.4]},
        showlegend=False,
        **{**_LAYOUT, "height": 360},
    )
    return fig
