"""Module 2's practice in the teaching notebook: ungraded questions, with worked solutions to show."""

from __future__ import annotations

import pandas as pd

from csm_academy.book.book import Book
from csm_academy.lessons.health_score.handout import scorecard
from csm_academy.lessons.health_score.misconceptions import (
    MISCONCEPTIONS,
    auc_counting_ties_as,
    auc_upside_down,
    churn_by_band_in_logos,
)
from csm_academy.lessons.health_score.questions import QUESTIONS
from csm_academy.lessons.health_score.reference import auc_of, churn_by_band_of
from csm_academy.questions.compare import Number
from csm_academy.questions.question import Misconception, Question

#: The five-account example of the teaching notebook: renewers scored 82, 64 and 47; churners 47 and 30.
FIVE_ACCOUNTS = pd.DataFrame(
    {"health_score": [82, 64, 47, 47, 30], "churned": [False, False, False, True, True]},
    index=pd.Index([1, 2, 3, 4, 5], name="account_id"),
)


def _five(fn):
    return lambda book: fn(FIVE_ACCOUNTS["health_score"], FIVE_ACCOUNTS["churned"])


def _green_dollar_churn(book: Book) -> float:
    return float(churn_by_band_of(scorecard(book)).get("green", 0.0))


def _green_logo_churn(book: Book) -> float:
    return float(churn_by_band_in_logos(scorecard(book)).get("green", 0.0))


_SOLUTIONS = {
    "q3_auc": """def auc(scores, churned):
    renew = scores[~churned].to_numpy()[:, None]
    churn = scores[churned].to_numpy()[None, :]
    wins = (renew > churn).sum() + 0.5 * (renew == churn).sum()
    return wins / (renew.size * churn.size)""",
}

PRACTICE: tuple[Question, ...] = (
    Question(
        qid="p1_green_dollar_churn",
        answer="green_dollar_churn",
        title="Practice 1: how often green churns, in dollars",
        points=0,
        kind="value",
        inputs=lambda book: (),
        reference=_green_dollar_churn,
        compare=Number(rel=1e-6, abs=1e-9, what="a share such as 0.02"),
        misconceptions=(
            Misconception("band_churn_by_logos", _green_logo_churn, MISCONCEPTIONS["band_churn_by_logos"].message),
        ),
        hints=QUESTIONS[1].hints,
        solution_code="""green = card[card["health_score"] >= 75]
green_dollar_churn = green.loc[green["churned"], "arr_due"].sum() / green["arr_due"].sum()""",
    ),
    Question(
        qid="p2_five_account_auc",
        answer="five_account_auc",
        title="Practice 2: AUC of five accounts",
        points=0,
        kind="value",
        inputs=lambda book: (),
        reference=_five(auc_of),
        compare=Number(rel=0, abs=0.0005, what="a share such as 0.75"),
        misconceptions=(
            Misconception("auc_inverted", _five(auc_upside_down), MISCONCEPTIONS["auc_inverted"].message),
            Misconception(
                "auc_ties_ignored",
                _five(lambda s, c: auc_counting_ties_as(s, c, 0.0)),
                MISCONCEPTIONS["auc_ties_ignored"].message,
            ),
            Misconception(
                "auc_ties_as_wins",
                _five(lambda s, c: auc_counting_ties_as(s, c, 1.0)),
                MISCONCEPTIONS["auc_ties_as_wins"].message,
            ),
        ),
        hints=("There are 3 x 2 = 6 renewer-churner pairs. Count the pairs the renewer wins.", "(5 + 0.5) / 6"),
        solution_code="five_account_auc = (5 + 0.5 * 1) / 6  # five wins and one tie (47 against 47)",
    ),
    *(q.as_practice(_SOLUTIONS[q.qid]) for q in QUESTIONS if q.qid in _SOLUTIONS),
)
