"""Module 1's known mistakes: each produces the wrong answer a trainee would give, from the same book."""

from __future__ import annotations

import pandas as pd

from csm_academy.lessons.nrr_math.handout import on_mrr, on_report
from csm_academy.lessons.nrr_math.reference import bridge_from_mrr, grr_of, nrr_of, retention_table_of
from csm_academy.metrics import retention
from csm_academy.questions.question import Misconception


def _starting_sums(report: pd.DataFrame) -> pd.Series:
    # Most mistakes keep the right rows and get the arithmetic wrong: they start from the same sums.
    return retention.starting_accounts(report)[list(retention.MOVEMENTS)].sum()


def _nrr_with_new_logos(report: pd.DataFrame) -> float:
    return float(report["arr_end"].sum() / report["arr_start"].sum())


def _nrr_average_denominator(report: pd.DataFrame) -> float:
    s = _starting_sums(report)
    return float(s.arr_end / ((s.arr_start + s.arr_end) / 2))


def _nrr_ignoring_contraction(report: pd.DataFrame) -> float:
    s = _starting_sums(report)
    return float((s.arr_start + s.expansion_arr - s.churn_arr) / s.arr_start)


def _grr_ignoring_contraction(report: pd.DataFrame) -> float:
    s = _starting_sums(report)
    return float((s.arr_start - s.churn_arr) / s.arr_start)


def _grr_ending_denominator(report: pd.DataFrame) -> float:
    s = _starting_sums(report)
    return float((s.arr_start - s.contraction_arr - s.churn_arr) / s.arr_end)


def _logo_from_dollars(report: pd.DataFrame) -> float:
    s = _starting_sums(report)
    return float(1 - s.churn_arr / s.arr_start)


def _logo_contraction_as_churn(report: pd.DataFrame) -> float:
    start = retention.starting_accounts(report)
    return float(1 - (start["churned"] | (start["contraction_arr"] > 0)).mean())


def _logo_with_new_logos(report: pd.DataFrame) -> float:
    return float(1 - report["churned"].sum() / len(report))


def _table_with_new_logos(report: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for seg, part in report.groupby("segment", sort=True):
        start = part["arr_start"].sum()
        if start <= 0:
            continue
        out[seg] = {
            "nrr": part["arr_end"].sum() / start,
            "grr": grr_of(part),
            "logo_retention": 1 - part["churned"].sum() / len(part),
        }
    return pd.DataFrame.from_dict(out, orient="index")


def _table_grr_with_expansion(report: pd.DataFrame) -> pd.DataFrame:
    table = retention_table_of(report)
    table["grr"] = table["nrr"]
    return table


def _bridge_not_annualised(mrr: pd.DataFrame) -> dict[str, float]:
    return {k: v / 12 for k, v in bridge_from_mrr(mrr).items()}


def _bridge_losses_negative(mrr: pd.DataFrame) -> dict[str, float]:
    out = bridge_from_mrr(mrr)
    out["Contraction"], out["Churn"] = -out["Contraction"], -out["Churn"]
    return out


def _pick_lowest_logo_retention(report: pd.DataFrame) -> str:
    return str(retention_table_of(report)["logo_retention"].idxmin())


def _pick_highest_nrr(report: pd.DataFrame) -> str:
    return str(retention_table_of(report)["nrr"].idxmax())


def _masked_is_expansion(report: pd.DataFrame) -> float:
    return float(_starting_sums(report).expansion_arr)


def _masked_ignoring_contraction(report: pd.DataFrame) -> float:
    s = _starting_sums(report)
    return float(min(s.expansion_arr, s.churn_arr))


def _masked_as_share(report: pd.DataFrame) -> float:
    return nrr_of(report) - grr_of(report)


MISCONCEPTIONS: dict[str, Misconception] = {
    m.id: m
    for m in (
        Misconception(
            "nrr_counts_new_logos",
            on_report(_nrr_with_new_logos),
            "Your NRR includes new logos. NRR measures only the accounts you started the year with: "
            "leave out rows whose arr_start is 0 (their new_arr is new business, not retention).",
        ),
        Misconception(
            "nrr_average_denominator",
            on_report(_nrr_average_denominator),
            "You divided by an average of starting and ending ARR. The denominator is the starting ARR "
            "of the same accounts: retention asks how much of what you had on 1 January you still have.",
        ),
        Misconception(
            "nrr_ignores_contraction",
            on_report(_nrr_ignoring_contraction),
            "Your NRR leaves out contraction. Downsell at renewal is lost revenue too: subtract "
            "contraction_arr as well as churn_arr.",
        ),
        Misconception(
            "grr_includes_expansion",
            on_report(nrr_of),
            "That is NRR, not GRR. Gross retention leaves expansion out, so it can never exceed 100%: "
            "(start - contraction - churn) / start.",
        ),
        Misconception(
            "grr_ignores_contraction",
            on_report(_grr_ignoring_contraction),
            "Your GRR only counts churned accounts. Contraction (downsell) is a gross loss too: subtract it.",
        ),
        Misconception(
            "grr_ending_denominator",
            on_report(_grr_ending_denominator),
            "You divided by ending ARR. Retention is always measured against the starting ARR of the same accounts.",
        ),
        Misconception(
            "logo_retention_from_dollars",
            on_report(_logo_from_dollars),
            "That is a dollar figure. Logo retention counts accounts: how many of the accounts you "
            "started with are still customers, whatever their size.",
        ),
        Misconception(
            "logo_contraction_as_churn",
            on_report(_logo_contraction_as_churn),
            "You counted accounts that contracted as lost. A downsized account is still a logo you kept; "
            "only churned accounts leave.",
        ),
        Misconception(
            "logo_counts_new_logos",
            on_report(_logo_with_new_logos),
            "Your logo retention includes the year's new logos. Count only accounts that were customers "
            "on 1 January (arr_start above 0).",
        ),
        Misconception(
            "segment_table_counts_new_logos",
            on_report(_table_with_new_logos),
            "Your segment table mixes new logos into retention. Filter to starting accounts (arr_start "
            "above 0) before grouping by segment.",
        ),
        Misconception(
            "segment_grr_includes_expansion",
            on_report(_table_grr_with_expansion),
            "Your grr column includes expansion (it equals nrr). Gross retention leaves expansion out.",
        ),
        Misconception(
            "mrr_not_annualised",
            on_mrr(_bridge_not_annualised),
            "Those are monthly figures. The export is MRR (dollars per month): multiply by 12 to get ARR.",
        ),
        Misconception(
            "bridge_losses_negative",
            on_mrr(_bridge_losses_negative),
            "Give contraction and churn as positive amounts of lost ARR; the bridge subtracts them.",
        ),
        Misconception(
            "picked_lowest_logo_retention",
            on_report(_pick_lowest_logo_retention),
            "That segment loses the most logos, but its NRR is below 100%, so its losses already show. "
            "The question is which segment's healthy-looking NRR is covering lost customers.",
        ),
        Misconception(
            "picked_highest_nrr",
            on_report(_pick_highest_nrr),
            "That is simply the best NRR. A strong NRR hides churn only where logos are leaving: among "
            "segments at or above 100% NRR, pick the one with the lowest logo retention.",
        ),
        Misconception(
            "masked_is_all_expansion",
            on_report(_masked_is_expansion),
            "That is all of the expansion. Expansion can only hide as much churn and contraction as "
            "actually happened: take the smaller of the two.",
        ),
        Misconception(
            "masked_ignores_contraction",
            on_report(_masked_ignoring_contraction),
            "Contraction is hidden by expansion too, not only churn: compare expansion with churn plus contraction.",
        ),
        Misconception(
            "masked_as_share",
            on_report(_masked_as_share),
            "That is the NRR-GRR gap as a share. The question asks for dollars of ARR.",
        ),
    )
}
