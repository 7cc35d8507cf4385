"""Module 1, NRR math: the ARR report trainees work from, the right answers, and the wrong ones we know.

The lesson is declared here; its parts live beside this file: ``handout`` (the tables the trainee
is handed), ``reference`` (what the course teaches), ``misconceptions`` (the known mistakes),
``questions`` (the graded questions) and ``practice_questions`` (the teaching notebook's practice).
"""

from __future__ import annotations

from csm_academy.lessons.nrr_math.handout import REPORT_COLUMNS, arr_report, smb_mrr
from csm_academy.lessons.nrr_math.misconceptions import MISCONCEPTIONS
from csm_academy.lessons.nrr_math.practice_questions import PRACTICE
from csm_academy.lessons.nrr_math.questions import QUESTIONS
from csm_academy.lessons.nrr_math.reference import (
    bridge_from_mrr,
    grr_of,
    logo_retention_of,
    masked_churn_of,
    nrr_of,
    retention_table_of,
    segment_masking_churn_of,
)
from csm_academy.metrics.retention import BRIDGE_LINES
from csm_academy.questions.lesson import Handout, Lesson

ASSIGNMENT = "01_nrr_math"

LESSON = Lesson(
    assignment=ASSIGNMENT,
    seed=1102,
    questions=QUESTIONS,
    misconceptions=MISCONCEPTIONS,
    practice_questions=PRACTICE,
    module=__name__,
    handouts=(Handout("arr_report", arr_report), Handout("smb_mrr", smb_mrr)),
)
exercise = LESSON.exercise
practice = LESSON.practice

__all__ = [
    "ASSIGNMENT",
    "BRIDGE_LINES",
    "LESSON",
    "MISCONCEPTIONS",
    "PRACTICE",
    "QUESTIONS",
    "REPORT_COLUMNS",
    "arr_report",
    "bridge_from_mrr",
    "exercise",
    "grr_of",
    "logo_retention_of",
    "masked_churn_of",
    "nrr_of",
    "practice",
    "retention_table_of",
    "segment_masking_churn_of",
    "smb_mrr",
]
