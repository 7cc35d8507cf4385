"""The charts a CSM wants, each titled, with labelled axes and money in dollars (plotly)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from csm_academy import constants

GREEN, RED, GREY, BLUE, AMBER = "#2e7d32", "#c62828", "#607d8b", "#1565c0", "#f9a825"
_LAYOUT = {"template": "plotly_white", "height": 420, "margin": {"l": 70, "r": 30, "t": 70, "b": 60}}


def _plain(text: str) -> str:
    """Plotly reads text between two dollar signs as LaTeX and hides it; an HTML entity keeps the '$'."""
    return text.replace("$", "&#36;")


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
    """A waterfall from starting ARR through each bridge line (new logos if any, then the movements) to ending ARR."""
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
        title=_plain(title),
        xaxis_title="Movement in the year",
        yaxis_title="ARR (US dollars)",
        yaxis={"tickprefix": "$", "tickformat": "~s", "range": [0, top * 1.15]},
        showlegend=False,
        **_LAYOUT,
    )
    return fig


def retention_by_segment_chart(table: pd.DataFrame, title: str = "Retention by segment") -> go.Figure:
    """NRR, GRR and logo retention side by side per segment, against the 100% line."""
    known = constants.SEGMENTS
    order = [s for s in known if s in table.index] + [s for s in table.index if s not in known]
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
        title=_plain(title),
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
    fig.update_layout(
        title=_plain(title), xaxis_title="Year the account first signed", yaxis_title="Segment", **_LAYOUT
    )
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
        title=_plain(title),
        xaxis_title="Measure",
        yaxis_title="Retention (share of starting ARR)",
        yaxis={"tickformat": ".0%", "range": [0, max(1.4, nrr + 0.15)]},  # room for the label on top
        showlegend=False,
        **{**_LAYOUT, "height": 360},
    )
    return fig


# --- Module 2: health-score calibration --------------------------------------------------------------

BAND_COLOURS = {"red": RED, "yellow": AMBER, "green": GREEN}


def calibration_chart(
    table: pd.DataFrame, title: str, x_title: str = "Health band", dollars_label: str = "ARR that churned (dollars)"
) -> go.Figure:
    """Churn rate by logos and by dollars per band or score decile: a calibrated score falls left to right."""
    x = [str(i) for i in table.index]
    fig = go.Figure()
    for col, name, colour in (
        ("churn_rate_logos", "Accounts that churned (logos)", AMBER),
        ("churn_rate_dollars", dollars_label, BLUE),
    ):
        if col in table.columns:
            fig.add_bar(
                x=x,
                y=table[col],
                name=name,
                marker_color=colour,
                text=[f"{v:.0%}" for v in table[col]],
                textposition="outside",
            )
    top = float(table[[c for c in ("churn_rate_logos", "churn_rate_dollars") if c in table.columns]].max().max())
    fig.update_layout(
        title=_plain(title),
        xaxis_title=x_title,
        yaxis_title="Churn rate at renewal",
        xaxis={"type": "category"},
        yaxis={"tickformat": ".0%", "range": [0, max(0.1, top * 1.25)]},
        barmode="group",
        legend={"orientation": "h", "y": -0.2},
        **_LAYOUT,
    )
    return fig


def ranking_chart(figures: pd.DataFrame, title: str) -> go.Figure:
    """Ranking figures per score side by side: AUC and the share of churned ARR caught at the bottom."""
    labels = {
        "auc": "AUC (0.5 = coin toss)",
        "captured_10": "Churned ARR in bottom 10%",
        "captured_20": "Churned ARR in bottom 20%",
    }
    fig = go.Figure()
    for (col, name), colour in zip(labels.items(), (BLUE, AMBER, GREY), strict=True):
        if col in figures.columns:
            fig.add_bar(
                x=list(figures.index),
                y=figures[col],
                name=name,
                marker_color=colour,
                text=[f"{v:.2f}" if col == "auc" else f"{v:.0%}" for v in figures[col]],
                textposition="outside",
            )
    fig.add_hline(
        y=0.5, line_dash="dot", line_color="black", annotation_text="coin toss", annotation_position="top left"
    )
    fig.update_layout(
        title=_plain(title),
        xaxis_title="Health score",
        yaxis_title="Share (AUC, or share of churned ARR)",
        yaxis={"range": [0, 1.1]},
        barmode="group",
        legend={"orientation": "h", "y": -0.2},
        **_LAYOUT,
    )
    return fig


def lead_time_chart(days: pd.Series, title: str, prep_days: int = constants.RENEWAL_PREP_DAYS) -> go.Figure:
    """How many days before renewal each churned account first turned red, against the renewal-prep line."""
    fig = go.Figure(go.Histogram(x=days.dropna(), xbins={"size": 30}, marker_color=RED, name="churned accounts"))
    fig.add_vline(
        x=prep_days,
        line_dash="dot",
        line_color="black",
        annotation_text=f"renewal prep starts ({prep_days} days)",
        annotation_position="top right",
    )
    fig.update_layout(
        title=_plain(title),
        xaxis_title="Days before renewal the score first turned red",
        yaxis_title="Churned accounts",
        bargap=0.05,
        showlegend=False,
        **_LAYOUT,
    )
    return fig


def score_timeline_chart(
    monthly: pd.DataFrame,
    title: str,
    labels: dict | None = None,
    score: str = "score",
    red_below: float = 50,
    green_from: float = 75,
) -> go.Figure:
    """Monthly health score of a few accounts over the band colours (one line per account)."""
    fig = go.Figure()
    for lo, hi, band in ((0, red_below, "red"), (red_below, green_from, "yellow"), (green_from, 100, "green")):
        fig.add_hrect(y0=lo, y1=hi, fillcolor=BAND_COLOURS[band], opacity=0.08, line_width=0)
    for account, rows in monthly.groupby("account_id", sort=True):
        name = (labels or {}).get(account, str(account))
        fig.add_scatter(x=rows["month"], y=rows[score], mode="lines+markers", name=name)
    fig.update_layout(
        title=_plain(title),
        xaxis_title="Month (2025)",
        yaxis_title="Health score (0-100)",
        yaxis={"range": [0, 100]},
        legend={"orientation": "h", "y": -0.2},
        **_LAYOUT,
    )
    return fig


# --- Module 3: expansion qualification ---------------------------------------------------------------

VERDICT_COLOURS = {"pursue": GREEN, "maybe": AMBER, "no": RED}
_MONEY_AXIS = {"tickprefix": "$", "tickformat": "~s"}


def utilisation_outcome_chart(table: pd.DataFrame, title: str) -> go.Figure:
    """Won upsells by seat utilisation at proposal, stacked by what happened at the next renewal."""
    x = [str(i) for i in table.index]
    fig = go.Figure()
    for col, name, colour in (
        ("held", "Renewed or expanded", GREEN),
        ("contracted", "Contracted", AMBER),
        ("churned", "Churned", RED),
    ):
        fig.add_bar(
            x=x,
            y=table[col],
            name=name,
            marker_color=colour,
            text=[f"{v:.0%}" if v >= 0.04 else "" for v in table[col]],
            textposition="inside",
            customdata=table["upsells"],
            hovertemplate="%{x}: %{y:.0%} of %{customdata} won upsells<extra>" + name + "</extra>",
        )
    fig.update_layout(
        title=_plain(title),
        xaxis_title="Seat utilisation when the upsell was proposed (number of won upsells)",
        yaxis_title="Share of won upsells",
        xaxis={"type": "category", "ticktext": [f"{b} ({n})" for b, n in zip(x, table["upsells"])], "tickvals": x},
        yaxis={"tickformat": ".0%", "range": [0, 1]},
        barmode="stack",
        legend={"orientation": "h", "y": -0.25},
        **_LAYOUT,
    )
    return fig


def contraction_comparison_chart(rates: dict[str, float], counts: dict[str, int], title: str) -> go.Figure:
    """The next-renewal contraction rate of upsells made without and with proven value, side by side."""
    names = list(rates)
    fig = go.Figure(
        go.Bar(
            x=[f"{n} ({counts.get(n, 0)} won)" for n in names],
            y=[rates[n] for n in names],
            marker_color=[RED, GREEN][: len(names)],
            text=[f"{rates[n]:.0%}" for n in names],
            textposition="outside",
        )
    )
    fig.update_layout(
        title=_plain(title),
        xaxis_title="Upsells won in 2025, by whether value was proven when proposed",
        yaxis_title="Share that contracted at the next renewal",
        yaxis={"tickformat": ".0%", "range": [0, max(0.1, max(rates.values(), default=0) * 1.3)]},
        showlegend=False,
        **_LAYOUT,
    )
    return fig


def pipeline_by_verdict_chart(table: pd.DataFrame, title: str) -> go.Figure:
    """ARR proposed and ARR that proved durable, per qualification verdict (pursue, maybe, no)."""
    x = [f"{v} ({int(n)} opportunities)" for v, n in zip(table.index, table["opportunities"], strict=True)]
    fig = go.Figure()
    fig.add_bar(
        x=x,
        y=table["arr_proposed"],
        name="ARR proposed",
        marker_color=[VERDICT_COLOURS.get(v, GREY) for v in table.index],
        opacity=0.45,
        text=[dollars(v) for v in table["arr_proposed"]],
        textposition="outside",
    )
    fig.add_bar(
        x=x,
        y=table["arr_durable"],
        name="ARR still there after the next renewal",
        marker_color=[VERDICT_COLOURS.get(v, GREY) for v in table.index],
        text=[dollars(v) for v in table["arr_durable"]],
        textposition="outside",
    )
    fig.update_layout(
        title=_plain(title),
        xaxis_title="Qualification verdict",
        yaxis_title="ARR (US dollars)",
        yaxis={**_MONEY_AXIS, "range": [0, float(table["arr_proposed"].max()) * 1.2]},
        barmode="group",
        legend={"orientation": "h", "y": -0.2},
        **_LAYOUT,
    )
    return fig


def expansion_attribution_chart(table: pd.DataFrame, title: str) -> go.Figure:
    """Won expansion ARR per CSM, stacked: what the CSM influenced and what usage tiers added on their own."""
    x = [str(i) for i in table.index]
    fig = go.Figure()
    for col, name, colour in (
        ("csm_influenced", "Influenced by the CSM (upsells won)", BLUE),
        ("automatic", "Automatic (usage tier stepped up)", GREY),
    ):
        fig.add_bar(x=x, y=table[col], name=name, marker_color=colour, text=[dollars(v) for v in table[col]])
    fig.update_layout(
        title=_plain(title),
        xaxis_title="CSM",
        yaxis_title="Expansion ARR won in 2025 (US dollars)",
        yaxis=_MONEY_AXIS,
        barmode="stack",
        legend={"orientation": "h", "y": -0.2},
        **_LAYOUT,
    )
    return fig


def strategy_chart(table: pd.DataFrame, title: str) -> go.Figure:
    """ARR proposed and ARR that proved durable for each way of spending a quarter's capacity."""
    x = list(table.index)
    fig = go.Figure()
    fig.add_bar(x=x, y=table["arr_proposed"], name="ARR proposed", marker_color=GREY, opacity=0.5)
    fig.add_bar(x=x, y=table["durable_arr"], name="ARR still there after the next renewal", marker_color=BLUE)
    for fig_trace in fig.data:
        fig_trace.text = [dollars(v) for v in fig_trace.y]
        fig_trace.textposition = "outside"
    fig.update_layout(
        title=_plain(title),
        xaxis_title="How the quarter's expansion motions were chosen",
        yaxis_title="ARR (US dollars)",
        yaxis={**_MONEY_AXIS, "range": [0, float(table["arr_proposed"].max()) * 1.2]},
        barmode="group",
        legend={"orientation": "h", "y": -0.2},
        **_LAYOUT,
    )
    return fig


def forecast_heatmap(table: pd.DataFrame, title: str) -> go.Figure:
    """ARR due per forecast call (rows) and what each renewal came to (columns), as a heatmap in dollars.

    Each cell is shaded by the share of its row's ARR, so a row that mostly churned reads red whatever
    its size; the text gives the dollars.
    """
    shares = table.div(table.sum(axis=1).where(table.sum(axis=1) > 0), axis=0).fillna(0.0)
    fig = go.Figure(
        go.Heatmap(
            z=shares.to_numpy(),
            x=[str(c) for c in table.columns],
            y=[str(i) for i in table.index],
            colorscale=[[0.0, "#f5f5f5"], [1.0, BLUE]],
            zmin=0,
            zmax=1,
            text=[
                [f"{dollars(v)} ({s:.0%})" for v, s in zip(row, srow)]
                for row, srow in zip(table.to_numpy(), shares.to_numpy())
            ],
            texttemplate="%{text}",
            colorbar={"title": "Share of the call's ARR", "tickformat": ".0%"},
            hovertemplate="Called %{y}, %{x}: %{text}<extra></extra>",
        )
    )
    fig.update_layout(
        title=_plain(title),
        xaxis_title="What the renewal came to",
        yaxis_title="Forecast call, 120 days out",
        yaxis={"autorange": "reversed"},
        **_LAYOUT,
    )
    return fig


def save_strategies_chart(curves: pd.DataFrame, budget: int, title: str) -> go.Figure:
    """Expected ARR kept against CSM hours spent, one line per way of ordering the save desk."""
    fig = go.Figure()
    colours = [GREY, AMBER, GREEN, BLUE, RED]
    for colour, (name, frame) in zip(colours, curves.groupby("strategy", sort=False)):
        fig.add_scatter(
            x=[0, *frame["hours"]],
            y=[0, *frame["kept_arr"]],
            mode="lines",
            name=name,
            line={"color": colour, "width": 3},
            hovertemplate="%{x} hours: %{y:$,.0f} kept<extra>" + name + "</extra>",
        )
    fig.add_vline(x=budget, line_dash="dash", line_color=RED)
    fig.add_annotation(
        x=budget,
        y=1,
        yref="paper",
        text=f"this quarter's budget: {budget} hours",
        showarrow=False,
        xanchor="left",
        yanchor="top",
    )
    fig.update_layout(
        title=_plain(title),
        xaxis_title="CSM hours spent on save plays",
        yaxis_title="ARR a save can be expected to keep (US dollars)",
        yaxis=_MONEY_AXIS,
        legend={"orientation": "h", "y": -0.25},
        **_LAYOUT,
    )
    return fig
