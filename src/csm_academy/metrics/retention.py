"""Retention arithmetic: NRR, GRR, logo retention and the ARR bridge, overall and by group."""

from __future__ import annotations

import pandas as pd

MOVEMENTS = ("arr_start", "expansion_arr", "contraction_arr", "churn_arr", "arr_end")


def _starting_arr(accounts: pd.DataFrame) -> float:
    start = float(accounts["arr_start"].sum())
    if start <= 0:
        raise ValueError("these accounts have no starting ARR, so retention is undefined")
    return start


def nrr(accounts: pd.DataFrame) -> float:
    """Net revenue retention: (start + expansion - contraction - churn) / start, for one cohort."""
    start = _starting_arr(accounts)
    kept = start + accounts["expansion_arr"].sum() - accounts["contraction_arr"].sum()
    return float((kept - accounts["churn_arr"].sum()) / start)


def grr(accounts: pd.DataFrame) -> float:
    """Gross revenue retention: (start - contraction - churn) / start; never above 100%."""
    start = _starting_arr(accounts)
    return float((start - accounts["contraction_arr"].sum() - accounts["churn_arr"].sum()) / start)


def logo_retention(accounts: pd.DataFrame) -> float:
    """Share of starting accounts (logos) still customers at the end: counts, not dollars."""
    if len(accounts) == 0:
        raise ValueError("there are no accounts, so logo retention is undefined")
    return float(1.0 - accounts["churned"].astype(bool).mean())


def arr_bridge(accounts: pd.DataFrame) -> pd.Series:
    """Starting ARR, each movement and ending ARR, in dollars (the waterfall a CSM presents)."""
    sums = accounts[list(MOVEMENTS)].sum()
    return pd.Series(
        {
            "Starting ARR": int(sums["arr_start"]),
            "Expansion": int(sums["expansion_arr"]),
            "Contraction": -int(sums["contraction_arr"]),
            "Churn": -int(sums["churn_arr"]),
            "Ending ARR": int(sums["arr_end"]),
        }
    )


def retention_by(accounts: pd.DataFrame, by: str = "segment") -> pd.DataFrame:
    """NRR, GRR and logo retention per group (one row per group that has accounts)."""
    grouped = accounts.groupby(by, observed=True, sort=True)
    sums = grouped[list(MOVEMENTS)].sum()
    out = pd.DataFrame(index=sums.index)
    out["accounts"] = grouped.size()
    out["arr_start"] = sums["arr_start"]
    out["nrr"] = (sums["arr_start"] + sums["expansion_arr"] - sums["contraction_arr"] - sums["churn_arr"]) / sums[
        "arr_start"
    ]
    out["grr"] = (sums["arr_start"] - sums["contraction_arr"] - sums["churn_arr"]) / sums["arr_start"]
    out["logo_retention"] = 1.0 - grouped["churned"].mean().astype(float)
    return out


def masked_churn(accounts: pd.DataFrame) -> int:
    """Dollars of churn and contraction that expansion covers up in NRR (the NRR-GRR gap, in $)."""
    lost = int(accounts["contraction_arr"].sum() + accounts["churn_arr"].sum())
    return min(int(accounts["expansion_arr"].sum()), lost)


def retention_grid(accounts: pd.DataFrame, rows: str = "segment", cols: str = "cohort") -> pd.DataFrame:
    """NRR for every combination of two groupings (e.g. segment by signing cohort); NaN where empty."""
    sums = accounts.groupby([rows, cols], observed=True)[list(MOVEMENTS)].sum()
    nrr_values = (sums["arr_start"] + sums["expansion_arr"] - sums["contraction_arr"] - sums["churn_arr"]) / sums[
        "arr_start"
    ]
    return nrr_values.unstack(cols).sort_index(axis=1)
