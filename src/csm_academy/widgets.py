"""Interactive controls for teaching notebooks (ipywidgets redrawing plotly charts)."""

from __future__ import annotations

from collections.abc import Mapping

import ipywidgets as widgets
import pandas as pd
from IPython.display import display

from csm_academy.charts import calibration_chart, dollars, retention_gauge_chart
from csm_academy.metrics import health, retention


def retention_playground(
    start: float = 5_000_000, expansion: float = 700_000, contraction: float = 100_000, churn: float = 300_000
) -> widgets.VBox:
    """Sliders for expansion, contraction and churn; NRR and GRR (from metrics.retention) redraw as they move."""
    step = max(1000, round(start / 500, -3))

    def slider(description: str, value: float, maximum: float) -> widgets.IntSlider:
        return widgets.IntSlider(
            value=int(value),
            min=0,
            max=int(maximum),
            step=int(step),
            description=description,
            continuous_update=False,
            readout_format=",",
            style={"description_width": "110px"},
            layout=widgets.Layout(width="560px"),
        )

    exp = slider("Expansion $", expansion, start)
    con = slider("Contraction $", contraction, start / 2)
    chu = slider("Churn $", churn, start / 2)
    out = widgets.Output()
    summary = widgets.HTML()
    box = widgets.VBox([exp, con, chu, summary, out])

    def redraw(*_):
        # The sliders describe one starting book's year, read by the course's own formulas: the playground
        # can never teach a different NRR from the one the lessons grade.
        year = {"arr_start": start, "expansion_arr": exp.value, "contraction_arr": con.value, "churn_arr": chu.value}
        figures = retention.headline(pd.DataFrame([year]))
        nrr, grr = figures.nrr, figures.grr
        summary.value = (  # mathjax_ignore: two dollar amounts would otherwise be typeset as math
            f"<span class='mathjax_ignore'><b>Starting ARR {dollars(start)}</b>: NRR {nrr:.1%}, GRR {grr:.1%}; "
            f"expansion is covering {dollars(figures.masked_churn)} of lost revenue.</span>"
        )
        # Kept on the box so code (and tests) can read the figures and the chart that are on screen.
        box.figures = figures
        box.chart = retention_gauge_chart(nrr, grr, f"NRR {nrr:.1%} and GRR {grr:.1%} on {dollars(start)}")
        out.clear_output(wait=True)
        with out:
            display(box.chart)

    for s in (exp, con, chu):
        s.observe(redraw, names="value")
    redraw()
    return box


def health_weights_playground(
    components: pd.DataFrame,
    churned: pd.Series,
    arr: pd.Series,
    weights: Mapping[str, float] | None = None,
    baseline: Mapping[str, float] | None = None,
) -> widgets.VBox:
    """A slider per component weight; the decile calibration chart and the ranking figures redraw live.

    ``components`` holds one 0-100 column per component (indexed by account), ``churned`` and ``arr``
    (ARR due at renewal) are indexed the same way. ``baseline`` (default: the login-heavy dashboard)
    is the score to beat, shown in the summary.
    """
    names = list(components.columns)
    start = dict(weights or {c: health.OUTCOME_WEIGHTS.get(c, 1) for c in names})
    baseline = dict(baseline or {c: w for c, w in health.VANITY_WEIGHTS.items() if c in names})
    churn_arr = arr.where(churned.astype(bool), 0)
    base_score = health.composite(components, baseline)
    base_auc = health.auc(base_score, churned)

    sliders = {
        name: widgets.IntSlider(
            value=int(start.get(name, 0)),
            min=0,
            max=10,
            step=1,
            description=f"{name} weight",
            continuous_update=False,
            style={"description_width": "130px"},
            layout=widgets.Layout(width="460px"),
        )
        for name in names
    }
    summary = widgets.HTML()
    out = widgets.Output()
    box = widgets.VBox([*sliders.values(), summary, out])

    def redraw(*_):
        chosen = {name: s.value for name, s in sliders.items()}
        if sum(chosen.values()) == 0:
            summary.value = "<b>Give at least one component a weight above zero.</b>"
            return
        score = health.composite(components, chosen)
        auc = health.auc(score, churned)
        by_band = health.churn_rate_by_band(score, churned, arr)
        sizes = health.band(score).value_counts().reindex(list(health.BANDS), fill_value=0)
        bands = ", ".join(f"{b} {by_band.get(b, 0):.1%} of ARR ({sizes[b]} accounts)" for b in health.BANDS)
        summary.value = (
            f"<b>AUC {auc:.3f}</b> (dashboard {base_auc:.3f}, {auc - base_auc:+.3f}); bottom 10% of scores hold "
            f"{health.captured_churn_arr(score, churned, churn_arr, 0.1):.0%} of churned ARR, bottom 20% "
            f"{health.captured_churn_arr(score, churned, churn_arr, 0.2):.0%}.<br>Churn by band: {bands}."
        )
        # Kept on the box so code (and tests) can read the chart that is on screen.
        box.chart = calibration_chart(
            health.churn_by_decile(score, churned, arr),
            title=f"Churn by score decile (AUC {auc:.3f})",
            x_title="Score decile (1 = lowest scores)",
        )
        box.weights = chosen
        out.clear_output(wait=True)
        with out:
            display(box.chart)

    for s in sliders.values():
        s.observe(redraw, names="value")
    redraw()
    return box
