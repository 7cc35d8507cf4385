"""Module 4, save-or-let-go with renewal triage: the tables trainees work from, right answers, known wrong ones.

The content lives in files named for what they hold: ``handout`` (the tables the trainee is handed),
``reference`` (the bars judged against the hidden truth), ``misconceptions`` (known wrong answers),
``questions`` (the graded questions and their unusual books), ``practice`` (the teaching notebook's
questions), ``teaching`` (the teaching notebook's helpers) and ``compare`` (how forecasts, flags, plans
and levers are judged). This file declares the lesson and names what notebooks and tests use.
"""

from __future__ import annotations

from csm_academy.lessons.save_or_let_go.handout import (
    STATED_REASONS,
    cancelling_customer,
    claims,
    hours_budget,
    pipeline,
    renewals_view,
    save_desk,
)
from csm_academy.lessons.save_or_let_go.misconceptions import MISCONCEPTIONS
from csm_academy.lessons.save_or_let_go.practice import PRACTICE
from csm_academy.lessons.save_or_let_go.questions import JUDGEMENT_ACCOUNTS, QUESTIONS
from csm_academy.lessons.save_or_let_go.reference import plan_bar, triage_bar
from csm_academy.lessons.save_or_let_go.teaching import (
    bad_fit_case,
    claims_audit,
    fit_gap_confusion,
    forecast_audit,
    green_dashboard_case,
    save_strategies,
    surprise_churn,
    triaged_renewals,
)
from csm_academy.questions.lesson import Handout, Lesson

ASSIGNMENT = "04_save_or_let_go"

LESSON = Lesson(
    assignment=ASSIGNMENT,
    seed=4404,
    questions=QUESTIONS,
    misconceptions=MISCONCEPTIONS,
    practice_questions=PRACTICE,
    # The trainee's own book is judged like the hidden ones (against its truth), so it is as big.
    accounts=JUDGEMENT_ACCOUNTS,
    check_with_truth=True,
    module=__name__,
    handouts=(
        Handout("renewals_view", renewals_view),
        Handout("pipeline", pipeline),
        Handout("save_desk", save_desk),
        Handout("claims", claims),
        Handout("hours_budget", hours_budget, ("save_desk",)),
        Handout("cancelling_customer", cancelling_customer, ("save_desk", "pipeline")),
    ),
)
exercise = LESSON.exercise
practice = LESSON.practice

__all__ = [
    "ASSIGNMENT",
    "JUDGEMENT_ACCOUNTS",
    "LESSON",
    "MISCONCEPTIONS",
    "QUESTIONS",
    "STATED_REASONS",
    "bad_fit_case",
    "cancelling_customer",
    "claims",
    "claims_audit",
    "exercise",
    "fit_gap_confusion",
    "forecast_audit",
    "green_dashboard_case",
    "hours_budget",
    "pipeline",
    "plan_bar",
    "practice",
    "renewals_view",
    "save_desk",
    "save_strategies",
    "surprise_churn",
    "triage_bar",
    "triaged_renewals",
]
