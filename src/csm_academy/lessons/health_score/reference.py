"""Module 2's reference answers (what the course teaches), and the bar a holdout score must clear."""

from __future__ import annotations

import pandas as pd

from csm_academy.book.book import Book
from csm_academy.lessons.health_score.compare import RankingBar
from csm_academy.lessons.health_score.handout import scorecard
from csm_academy.metrics import health

#: The holdout question: beat the dashboard's AUC by this much on every unseen book.
HOLDOUT_MARGIN = 0.05
#: No honest leading signal ranks this well; a score that does is reading the renewal result.
TOO_GOOD_AUC = 0.97


def composite_of(card: pd.DataFrame, weights: dict[str, float]) -> pd.Series:
    """Weighted mean of the components named in ``weights``, per account (unrounded)."""
    return health.composite(card, weights)


def churn_by_band_of(card: pd.DataFrame) -> pd.Series:
    """Dollar churn rate per band of the dashboard score: churned ARR / ARR due, bands with accounts only."""
    return health.churn_rate_by_band(card["health_score"], card["churned"], card["arr_due"], by="dollars")


def auc_of(scores: pd.Series, churned: pd.Series) -> float:
    """AUC with higher = healthier: P(renewer outscores churner), ties half."""
    return health.auc(scores, churned)


def captured_of(card: pd.DataFrame) -> float:
    """Share of churned ARR among the n // 10 lowest-scoring accounts (ties: lower account_id first)."""
    return health.captured_churn_arr(card["health_score"], card["churned"], card["churn_arr"], 0.1)


def lead_time_of(monthly: pd.DataFrame, card: pd.DataFrame) -> float:
    """Median days from the first red month to the renewal, over churned accounts that turned red."""
    return health.median_lead_time(monthly, card["renewal_date"], card["churned"], score="health_score")


def green_churners_of(card: pd.DataFrame) -> pd.Series:
    """Churned accounts with a green dashboard score, and the first warning sign each showed."""
    return health.green_churners(card, card["health_score"])


def outcome_weighted_score(signals: pd.DataFrame) -> pd.Series:
    """The course's forward-looking score: outcome-weighted components, no logins, no renewal result."""
    return health.composite(signals, health.OUTCOME_WEIGHTS)


def ranking_bar(book: Book, low: float, high: float, mode: str = "auc") -> RankingBar:
    """A bar for scores on ``book``: an AUC within [low, high] (or, with mode "accounts", the wrong accounts)."""
    card = scorecard(book)
    return RankingBar(card["churned"].sort_index(), low, high, mode)


def holdout_bar(book: Book) -> RankingBar:
    """What a holdout score must reach on ``book``: the dashboard's AUC plus the margin (and be honest)."""
    card = scorecard(book)
    baseline = health.auc(card["health_score"], card["churned"])
    return RankingBar(card["churned"].sort_index(), baseline + HOLDOUT_MARGIN, TOO_GOOD_AUC)
