"""Interactive controls for teaching notebooks (ipywidgets redrawing plotly charts)."""

from __future__ import annotations

from collections.abc import Mapping

import ipywidgets as widgets
import pandas as pd
from IPython.display import display

from csm_academy.charts import calibration_chart, dollars, retention_gauge_chart


def retention_playground(
    start: float = 5_000_000, expansion: float = 700_000, contraction: float = 100_000, churn: float = 300_000
) -> widgets.VBox:
    """Sliders for expansion, contraction and churn; NRR and GRR redraw as they move."""
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
        kept = start - con.value - chu.value
        nrr = (kept + exp.value) / start
        grr = kept / start
        masked = min(exp.value, con.value + chu.value)
        summary.value = (  # mathjax_ignore: two dollar amounts would otherwise be typeset as math
            f"<span class='mathjax_ignore'><b>Starting ARR {dollars(start)}</b>: NRR {nrr:.1%}, GRR {grr:.1%}; "
            f"expansion is covering {dollars(masked)} of lost revenue.</span>"
        )
        # Kept on the box so code (and tests) can read the chart that is on screen.
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
    from csm_academy.metrics import health as H

    names = list(components.columns)
    start = dict(weights or {c: H.OUTCOME_WEIGHTS.get(c, 1) for c in names})
    baseline = dict(baseline or {c: w for c, w in H.VANITY_WEIGHTS.items() if c in names})
    churn_arr = arr.where(churned.astype(bool), 0)
    base_score = H.composite(components, baseline)
    base_auc = H.auc(base_score, churned)

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
        score = H.composite(components, chosen)
        auc = H.auc(score, churned)
        by_band = H.churn_rate_by_band(score, churned, arr)
        sizes = H.band(score).value_counts().reindex(list(H.BANDS), fill_value=0)
        bands = ", ".join(f"{b} {by_band.get(b, 0):.1%} of ARR ({sizes[b]} accounts)" for b in H.BANDS)
        summary.value = (
            f"<b>AUC {auc:.3f}</b> (dashboard {base_auc:.3f}, {auc - base_auc:+.3f}); bottom 10% of scores hold "
            f"{H.captured_churn_arr(score, churned, churn_arr, 0.1):.0%} of churned ARR, bottom 20% "
            f"{H.captured_churn_arr(score, churned, churn_arr, 0.2):.0%}.<br>Churn by band: {bands}."
        )
        # Kept on the box so code (and tests) can read the chart that is on screen.
        box.chart = calibration_chart(
            H.churn_by_decile(score, churned, arr),
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
