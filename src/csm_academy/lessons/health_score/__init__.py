"""Module 2, health-score calibration: the scorecard trainees test, the right answers, and the wrong ones we know.

The lesson is declared here; its parts live beside this file: ``handout`` (the views the trainee is
handed), ``reference`` (what the course teaches, and the holdout bar), ``compare`` (how a score is
judged), ``misconceptions`` (the known mistakes), ``edge_cases`` (unusual books for hidden tests),
``questions`` (the graded questions) and ``practice_questions`` (the teaching notebook's practice).
"""

from __future__ import annotations

from csm_academy.lessons.health_score.handout import (
    CARD_COLUMNS,
    DASHBOARD_WEIGHTS,
    OUTCOME_COLUMNS,
    holdout_signals,
    monthly_scores,
    scorecard,
)
from csm_academy.lessons.health_score.misconceptions import MISCONCEPTIONS
from csm_academy.lessons.health_score.practice_questions import FIVE_ACCOUNTS, PRACTICE
from csm_academy.lessons.health_score.questions import QUESTIONS
from csm_academy.lessons.health_score.reference import (
    HOLDOUT_MARGIN,
    TOO_GOOD_AUC,
    auc_of,
    captured_of,
    churn_by_band_of,
    composite_of,
    green_churners_of,
    holdout_bar,
    lead_time_of,
    outcome_weighted_score,
)
from csm_academy.questions.lesson import Handout, Lesson

ASSIGNMENT = "02_health_score_calibration"

LESSON = Lesson(
    assignment=ASSIGNMENT,
    seed=2207,
    questions=QUESTIONS,
    misconceptions=MISCONCEPTIONS,
    practice_questions=PRACTICE,
    module=__name__,
    handouts=(
        Handout("scorecard", scorecard),
        Handout("monthly_scores", monthly_scores),
        Handout("holdout_signals", holdout_signals),
    ),
    constants={"DASHBOARD_WEIGHTS": DASHBOARD_WEIGHTS},
)
exercise = LESSON.exercise
practice = LESSON.practice


__all__ = [
    "ASSIGNMENT",
    "CARD_COLUMNS",
    "DASHBOARD_WEIGHTS",
    "FIVE_ACCOUNTS",
    "HOLDOUT_MARGIN",
    "LESSON",
    "MISCONCEPTIONS",
    "OUTCOME_COLUMNS",
    "PRACTICE",
    "QUESTIONS",
    "TOO_GOOD_AUC",
    "auc_of",
    "captured_of",
    "churn_by_band_of",
    "composite_of",
    "exercise",
    "green_churners_of",
    "holdout_bar",
    "holdout_signals",
    "lead_time_of",
    "monthly_scores",
    "outcome_weighted_score",
    "practice",
    "scorecard",
]
