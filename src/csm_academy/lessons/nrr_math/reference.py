"""Module 1's reference answers (what the course teaches), computed with the formulas of metrics.retention."""

from __future__ import annotations

import pandas as pd

from csm_academy.metrics import retention


def nrr_of(report: pd.DataFrame) -> float:
    """NRR of the starting book: (start + expansion - contraction - churn) / start; new logos left out."""
    return retention.nrr(report)


def grr_of(report: pd.DataFrame) -> float:
    """GRR of the starting book: (start - contraction - churn) / start; new logos left out."""
    return retention.grr(report)


def logo_retention_of(report: pd.DataFrame) -> float:
    """Share of starting accounts that did not churn."""
    return retention.logo_retention(report)


def retention_table_of(report: pd.DataFrame) -> pd.DataFrame:
    """NRR, GRR and logo retention per segment, for segments with starting accounts."""
    table = retention.retention_by(report, "segment")[["nrr", "grr", "logo_retention"]]
    return table.rename_axis(None)


def bridge_from_mrr(mrr: pd.DataFrame) -> dict[str, float]:
    """The ARR bridge from monthly figures: every line times 12, losses as positive amounts."""
    sums = mrr[["mrr_start", "mrr_expansion", "mrr_contraction", "mrr_churn", "mrr_end"]].sum() * 12
    return dict(zip(retention.BRIDGE_LINES, (float(v) for v in sums), strict=True))


def segment_masking_churn_of(report: pd.DataFrame) -> str:
    """Of the segments with NRR of at least 100%, the one that lost the largest share of its logos."""
    table = retention_table_of(report)
    growing = table[table["nrr"] >= 1.0]
    if growing.empty:
        raise ValueError("no segment reached 100% NRR in this book")
    return str(growing["logo_retention"].idxmin())


def masked_churn_of(report: pd.DataFrame) -> float:
    """Dollars of churn and contraction that expansion covers up: min(expansion, churn + contraction)."""
    return float(retention.masked_churn(report))
