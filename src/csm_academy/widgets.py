"""Interactive controls for teaching notebooks (ipywidgets redrawing plotly charts)."""

from __future__ import annotations

import ipywidgets as widgets
from IPython.display import display

from csm_academy.charts import dollars, retention_gauge_chart


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
        summary.value = (
            f"<b>Starting ARR {dollars(start)}</b>: NRR {nrr:.1%}, GRR {grr:.1%}; "
            f"expansion is covering {dollars(masked)} of lost revenue."
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
