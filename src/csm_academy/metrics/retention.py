"""Retention arithmetic: NRR, GRR, logo retention and the ARR bridge, overall and by group.

This is the one home of the formulas: the lessons' references and the teaching widgets call them.
Retention is measured on the starting accounts only (``arr_start`` above 0); a table that also lists
the year's new logos (``arr_start`` of 0) gives the same retention as the starting book alone, and
its bridge shows the new-logo ARR as a line of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

#: What the retention formulas read: starting ARR and the year's movements of each account.
FLOWS = ("arr_start", "expansion_arr", "contraction_arr", "churn_arr")
MOVEMENTS = (*FLOWS, "arr_end")
#: The lines of an ARR bridge of a starting book, in the order a CSM walks them (losses subtract).
BRIDGE_LINES = ("Starting ARR", "Expansion", "Contraction", "Churn", "Ending ARR")
#: The bridge line for ARR from logos landed during the year, shown only when the data has new logos.
NEW_LOGOS_LINE = "New logos"


def starting_accounts(accounts: pd.DataFrame) -> pd.DataFrame:
    """The accounts that were customers at the start of the period: ``arr_start`` above 0."""
    return accounts[accounts["arr_start"] > 0]


def new_logos(accounts: pd.DataFrame) -> pd.DataFrame:
    """The accounts landed during the period (no starting ARR): new business, never retention."""
    return accounts[~(accounts["arr_start"] > 0)]


def _starting_arr(start: pd.DataFrame) -> float:
    total = float(start["arr_start"].sum())
    if total <= 0:
        raise ValueError("these accounts have no starting ARR, so retention is undefined")
    return total


# The two formulas, written once for a single total (a Series of sums) or per group (a frame of sums).
def _net(sums: pd.Series | pd.DataFrame) -> object:
    return sums["arr_start"] + sums["expansion_arr"] - sums["contraction_arr"] - sums["churn_arr"]


def _gross(sums: pd.Series | pd.DataFrame) -> object:
    return sums["arr_start"] - sums["contraction_arr"] - sums["churn_arr"]


def _flows(start: pd.DataFrame) -> pd.Series:
    return start[list(FLOWS)].sum()


def nrr(accounts: pd.DataFrame) -> float:
    """Net revenue retention of the starting accounts: (start + expansion - contraction - churn) / start."""
    start = starting_accounts(accounts)
    return float(_net(_flows(start)) / _starting_arr(start))


def grr(accounts: pd.DataFrame) -> float:
    """Gross revenue retention of the starting accounts: (start - contraction - churn) / start; never above 100%."""
    start = starting_accounts(accounts)
    return float(_gross(_flows(start)) / _starting_arr(start))


def logo_retention(accounts: pd.DataFrame) -> float:
    """Share of starting accounts (logos) still customers at the end: counts, not dollars."""
    start = starting_accounts(accounts)
    if len(start) == 0:
        raise ValueError("there are no starting accounts, so logo retention is undefined")
    return float(1.0 - start["churned"].astype(bool).mean())


def masked_churn(accounts: pd.DataFrame) -> int:
    """Dollars of churn and contraction that expansion covers up in NRR (the NRR-GRR gap, in $)."""
    sums = _flows(starting_accounts(accounts))
    return min(int(sums["expansion_arr"]), int(sums["contraction_arr"] + sums["churn_arr"]))


@dataclass(frozen=True)
class RetentionFigures:
    """The headline dollar-retention figures of one starting book (what the playground shows)."""

    starting_arr: float
    nrr: float
    grr: float
    masked_churn: int


def headline(accounts: pd.DataFrame) -> RetentionFigures:
    """Starting ARR, NRR, GRR and the churn expansion masks, all from the formulas above."""
    return RetentionFigures(
        starting_arr=_starting_arr(starting_accounts(accounts)),
        nrr=nrr(accounts),
        grr=grr(accounts),
        masked_churn=masked_churn(accounts),
    )


def arr_bridge(accounts: pd.DataFrame) -> pd.Series:
    """Starting ARR, new logos (if any), each movement and ending ARR, in dollars (the waterfall a CSM presents)."""
    # Expansion, contraction and churn are the starting accounts' own; a new logo's whole ending ARR is
    # its line, so Starting + New + Expansion - Contraction - Churn is always the Ending ARR of every row.
    sums = starting_accounts(accounts)[list(MOVEMENTS)].sum()
    landed = new_logos(accounts)
    starting, expansion, contraction, churn, ending = BRIDGE_LINES
    lines = {starting: int(sums["arr_start"])}
    if len(landed):
        lines[NEW_LOGOS_LINE] = int(landed["arr_end"].sum())
    lines[expansion] = int(sums["expansion_arr"])
    lines[contraction] = -int(sums["contraction_arr"])
    lines[churn] = -int(sums["churn_arr"])
    lines[ending] = int(sums["arr_end"]) + int(landed["arr_end"].sum())
    return pd.Series(lines)


def retention_by(accounts: pd.DataFrame, by: str = "segment") -> pd.DataFrame:
    """NRR, GRR and logo retention per group (one row per group that has starting accounts)."""
    grouped = starting_accounts(accounts).groupby(by, observed=True, sort=True)
    sums = grouped[list(FLOWS)].sum()
    out = pd.DataFrame(index=sums.index)
    out["accounts"] = grouped.size()
    out["arr_start"] = sums["arr_start"]
    out["nrr"] = _net(sums) / sums["arr_start"]
    out["grr"] = _gross(sums) / sums["arr_start"]
    out["logo_retention"] = 1.0 - grouped["churned"].mean().astype(float)
    return out


def retention_grid(accounts: pd.DataFrame, rows: str = "segment", cols: str = "cohort") -> pd.DataFrame:
    """NRR of the starting accounts for every combination of two groupings (e.g. segment by cohort); NaN where empty."""
    sums = starting_accounts(accounts).groupby([rows, cols], observed=True)[list(FLOWS)].sum()
    return (_net(sums) / sums["arr_start"]).unstack(cols).sort_index(axis=1)
