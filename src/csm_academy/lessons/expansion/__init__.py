"""Module 3, expansion qualification: the pipeline trainees work from, the right answers, the wrong ones we know.

The content lives in files named for what they hold: ``handout`` (the tables the trainee is handed),
``reference`` (right answers and the judgement bar), ``misconceptions`` (known wrong answers),
``questions`` (the graded questions and their unusual books), ``practice`` (the teaching notebook's
questions), ``teaching`` (the teaching notebook's helpers) and ``compare`` (how a choice is judged).
This file declares the lesson and names what notebooks and tests use.
"""

from __future__ import annotations

from csm_academy.lessons.expansion.handout import (
    accounts_view,
    closed_pipeline,
    expansion_ledger,
    pipeline,
    qualification_sheet,
    quarter_capacity,
    renewals_view,
    usage_view,
)
from csm_academy.lessons.expansion.misconceptions import MISCONCEPTIONS
from csm_academy.lessons.expansion.practice import PRACTICE
from csm_academy.lessons.expansion.questions import QUESTIONS
from csm_academy.lessons.expansion.reference import choice_bar
from csm_academy.lessons.expansion.teaching import (
    logins_versus_value,
    outcomes_by_utilisation,
    pipeline_by_verdict,
    reasons,
    strategies,
    won_upsells,
)
from csm_academy.questions.lesson import Handout, Lesson

ASSIGNMENT = "03_expansion_qualification"

LESSON = Lesson(
    assignment=ASSIGNMENT,
    seed=3300,
    questions=QUESTIONS,
    misconceptions=MISCONCEPTIONS,
    practice_questions=PRACTICE,
    module=__name__,
    handouts=(
        Handout("accounts_view", accounts_view),
        Handout("usage_view", usage_view),
        Handout("pipeline", pipeline),
        Handout("qualification_sheet", qualification_sheet),
        Handout("closed_pipeline", closed_pipeline),
        Handout("renewals_view", renewals_view),
        Handout("expansion_ledger", expansion_ledger),
        Handout("quarter_capacity", quarter_capacity, ("pipeline",)),
    ),
)
exercise = LESSON.exercise
practice = LESSON.practice

__all__ = [
    "ASSIGNMENT",
    "LESSON",
    "MISCONCEPTIONS",
    "QUESTIONS",
    "accounts_view",
    "choice_bar",
    "closed_pipeline",
    "exercise",
    "expansion_ledger",
    "logins_versus_value",
    "outcomes_by_utilisation",
    "pipeline",
    "pipeline_by_verdict",
    "practice",
    "qualification_sheet",
    "quarter_capacity",
    "reasons",
    "renewals_view",
    "strategies",
    "usage_view",
    "won_upsells",
]
