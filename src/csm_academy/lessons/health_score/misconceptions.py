"""Module 2's known mistakes: each produces the wrong answer a trainee would give, from the same book."""

from __future__ import annotations

import pandas as pd

from csm_academy.lessons.health_score.handout import DASHBOARD_WEIGHTS, on_auc, on_card, on_lead
from csm_academy.lessons.health_score.reference import TOO_GOOD_AUC, lead_time_of, ranking_bar
from csm_academy.metrics import health
from csm_academy.questions.question import Misconception


def _weights_not_normalised(card: pd.DataFrame) -> pd.Series:
    return sum(card[k] * w for k, w in DASHBOARD_WEIGHTS.items())


def _weights_over_100(card: pd.DataFrame) -> pd.Series:
    return _weights_not_normalised(card) / 100


def _equal_weights(card: pd.DataFrame) -> pd.Series:
    return card[list(health.COMPONENTS)].mean(axis=1)


def _rounded(card: pd.DataFrame) -> pd.Series:
    return card["health_score"].astype(float)


def churn_by_band_in_logos(card: pd.DataFrame) -> pd.Series:
    """The mistake of counting accounts: churned logos / logos per band, not dollars."""
    return health.churn_rate_by_band(card["health_score"], card["churned"], card["arr_due"], by="logos")


def _bands_tuned_on_outcomes(card: pd.DataFrame) -> pd.Series:
    # Green moved to just above the best-scoring churner: no churner can be green on this book.
    top_churner = card.loc[card["churned"], "health_score"].max()
    green_from = max(health.GREEN_FROM, float(top_churner) + 1)
    return health.churn_rate_by_band(card["health_score"], card["churned"], card["arr_due"], green_from=green_from)


def _band_share_of_churn(card: pd.DataFrame) -> pd.Series:
    lost = card["arr_due"].where(card["churned"], 0)
    share = lost.groupby(health.band(card["health_score"]), observed=True).sum() / lost.sum()
    share.index = share.index.astype(str)
    return share


def auc_upside_down(scores: pd.Series, churned: pd.Series) -> float:
    """The mistake of the wrong orientation: how often churners outscore renewers."""
    return 1 - health.auc(scores, churned)


def auc_counting_ties_as(scores: pd.Series, churned: pd.Series, tie: float) -> float:
    """The AUC with a tied renewer-churner pair worth ``tie`` (0 or 1 are the mistakes; 0.5 is right)."""
    s, c = scores.to_numpy(float), churned.to_numpy(bool)
    renew, churn = s[~c][:, None], s[c][None, :]
    return float(((renew > churn).sum() + tie * (renew == churn).sum()) / (renew.size * churn.size))


def _captured_top(card: pd.DataFrame) -> float:
    return health.captured_churn_arr(-card["health_score"], card["churned"], card["churn_arr"], 0.1)


def _captured_logos(card: pd.DataFrame) -> float:
    low = health.bottom(card["health_score"], 0.1)
    return float(card.loc[low, "churned"].sum() / card["churned"].sum())


def _captured_precision(card: pd.DataFrame) -> float:
    low = health.bottom(card["health_score"], 0.1)
    return float(card.loc[low, "churn_arr"].sum() / card.loc[low, "arr_due"].sum())


def _lead_negative(monthly: pd.DataFrame, card: pd.DataFrame) -> float:
    return -lead_time_of(monthly, card)


def _lead_latest_red(monthly: pd.DataFrame, card: pd.DataFrame) -> float:
    due = monthly["account_id"].map(card["renewal_date"])
    red = monthly[(monthly["health_score"] < health.RED_BELOW) & (monthly["month"] <= due)]
    last = red.groupby("account_id")["month"].max()
    churned = card.index[card["churned"]]
    last = last[last.index.isin(churned)]
    return float((card.loc[last.index, "renewal_date"] - last).dt.days.median())


def _lead_never_red_as_zero(monthly: pd.DataFrame, card: pd.DataFrame) -> float:
    days = health.lead_times(monthly, card["renewal_date"], card["churned"], score="health_score")
    return float(days.fillna(0).median())


def _green_includes_renewers(card: pd.DataFrame) -> pd.Series:
    return health.likely_cause(card[card["health_score"] >= health.GREEN_FROM])


def _green_outcome_first(card: pd.DataFrame) -> pd.Series:
    green = card[card["churned"] & (card["health_score"] >= health.GREEN_FROM)]
    causes = health.likely_cause(green)
    short = green["milestones_hit"] < green["milestones_planned"] / 2
    return causes.where(~short, "outcome not attained")


MISCONCEPTIONS: dict[str, Misconception] = {
    m.id: m
    for m in (
        Misconception(
            "weights_not_normalised",
            on_card(_weights_not_normalised),
            "Your scores run far above 100: you added up weight x component without dividing by the total "
            "weight. A composite is a weighted average, so divide by the sum of the weights to stay on 0-100.",
        ),
        Misconception(
            "weights_divided_by_100",
            on_card(_weights_over_100),
            "You divided by 100, as if the weights were percentages. These weights are points: divide by "
            "their own total so the score stays on the same 0-100 scale as its components.",
        ),
        Misconception(
            "equal_weights",
            on_card(_equal_weights),
            "That is a plain average of all six components. The dashboard weighs them differently: multiply "
            "each component by its weight before you average.",
        ),
        Misconception(
            "rounded_like_the_dashboard",
            on_card(_rounded),
            "Your scores are whole numbers, like the dashboard's display. Keep the unrounded weighted average: "
            "rounding is for the screen, not for the calculation.",
        ),
        Misconception(
            "band_churn_by_logos",
            on_card(churn_by_band_in_logos),
            "Those rates count accounts (logos). The question asks for dollars: in each band, churned ARR "
            "divided by the ARR that was up for renewal (arr_due), so a lost whale weighs more than a lost "
            "small account.",
        ),
        Misconception(
            "bands_tuned_on_outcomes",
            on_card(_bands_tuned_on_outcomes),
            "Your green band holds no churned dollars because its threshold was moved above every churner in "
            "this book. Bands tuned on the same renewals you grade them with always look perfect there and "
            "tell you nothing about next year: keep the stated thresholds (red below 50, green from 75).",
        ),
        Misconception(
            "band_share_of_all_churn",
            on_card(_band_share_of_churn),
            "Your figures add up to 100%: that is where the churned dollars came from, not how often each band "
            "churns. A churn rate divides by the band's own ARR due.",
        ),
        Misconception(
            "auc_inverted",
            on_auc(auc_upside_down),
            "Your AUC is upside down: it measures how often churners outscore renewers. Higher score means "
            "healthier, so count the pairs where the renewing account scores above the churned one.",
        ),
        Misconception(
            "auc_ties_ignored",
            on_auc(lambda s, c: auc_counting_ties_as(s, c, 0.0)),
            "Ties count for nothing in your AUC. The dashboard shows whole points, so many renewer-churner "
            "pairs tie; a tie is a coin toss and counts one half.",
        ),
        Misconception(
            "auc_ties_as_wins",
            on_auc(lambda s, c: auc_counting_ties_as(s, c, 1.0)),
            "You counted ties as wins for the score. A tied pair means the score could not tell the two "
            "accounts apart: it counts one half, not one.",
        ),
        Misconception(
            "captured_from_the_top",
            on_card(_captured_top),
            "You took the highest-scoring accounts. Churners should score low, so the early-warning list is "
            "the bottom of the ranking: the lowest scores first.",
        ),
        Misconception(
            "captured_logos",
            on_card(_captured_logos),
            "That is the share of churned accounts (logos) you would catch. The question asks for dollars: "
            "churned ARR in the bottom tenth divided by all churned ARR.",
        ),
        Misconception(
            "captured_precision",
            on_card(_captured_precision),
            "You divided by the ARR of the bottom tenth, which measures how risky that list is. Captured "
            "churn asks what share of all the churned ARR in the book the list would have found.",
        ),
        Misconception(
            "lead_time_wrong_direction",
            on_lead(_lead_negative),
            "Your lead time is negative: you subtracted the renewal date from the red month. Lead time is "
            "how long before the renewal the warning came: renewal date minus the first red month.",
        ),
        Misconception(
            "lead_time_latest_red",
            on_lead(_lead_latest_red),
            "You walked back from the renewal and stopped at the first red month you met, which is the latest "
            "one. The warning counts from the first month the score ever turned red.",
        ),
        Misconception(
            "lead_time_never_red_as_zero",
            on_lead(_lead_never_red_as_zero),
            "You counted churners that never turned red as zero days of warning. They had no warning at all: "
            "leave them out of the median and report how many there were separately.",
        ),
        Misconception(
            "green_includes_renewers",
            on_card(_green_includes_renewers),
            "Your list includes green accounts that renewed. The question is about the misses: green accounts "
            "that churned.",
        ),
        Misconception(
            "green_cause_outcome_first",
            on_card(_green_outcome_first),
            "Check the warning signs in the stated order: a lost champion first, then no buyer contact in "
            "a quarter, then the outcome not attained. A lost champion is the sign a CSM can act on first.",
        ),
        Misconception(
            "score_uses_renewal_result",
            lambda book: ranking_bar(book, TOO_GOOD_AUC, 1.0),
            "Your score separates churners almost perfectly on this book, which no leading signal does: it is "
            "reading the renewal result (churned or churn_arr). That is leakage. On books you have not seen "
            "the result is not there yet, so the score would be worthless when it matters.",
        ),
        Misconception(
            "score_inverted",
            lambda book: ranking_bar(book, 0.0, 0.45),
            "Your score ranks churners above renewers. Higher must mean healthier: a component that rises "
            "with risk needs to be turned around (100 minus it) before it goes into the score.",
        ),
        Misconception(
            "score_not_per_account",
            lambda book: ranking_bar(book, 0.0, 1.0, mode="accounts"),
            "Give exactly one score for each account in `signals`, indexed by account_id (the index of "
            "`signals` is already account_id, so arithmetic on its columns keeps it).",
        ),
    )
}
