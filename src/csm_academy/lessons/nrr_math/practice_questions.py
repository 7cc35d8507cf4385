"""Module 1's practice in the teaching notebook: ungraded questions, with worked solutions to show."""

from __future__ import annotations

from csm_academy.lessons.nrr_math.handout import on_report
from csm_academy.lessons.nrr_math.misconceptions import MISCONCEPTIONS
from csm_academy.lessons.nrr_math.questions import QUESTIONS
from csm_academy.lessons.nrr_math.reference import nrr_of
from csm_academy.questions.compare import Number
from csm_academy.questions.lesson import pick
from csm_academy.questions.question import Misconception, Question

_SOLUTIONS = {
    "q2_grr": """def grr(report):
    start = report[report["arr_start"] > 0]
    lost = start["contraction_arr"].sum() + start["churn_arr"].sum()
    return (start["arr_start"].sum() - lost) / start["arr_start"].sum()""",
    "q3_logo_retention": """def logo_retention(report):
    start = report[report["arr_start"] > 0]
    return 1 - start["churned"].sum() / len(start)""",
}

PRACTICE: tuple[Question, ...] = (
    Question(
        qid="p1_five_million_grr",
        answer="five_million_grr",
        title="Practice 1: GRR of the $5M book",
        points=0,
        kind="value",
        inputs=lambda book: (),
        reference=lambda book: 0.92,
        compare=Number(rel=0, abs=0.0005, what="a share such as 0.92"),
        misconceptions=(
            Misconception(
                "grr_includes_expansion",
                lambda book: 1.06,
                "That is the NRR. Gross retention leaves the $700K of expansion out and counts only what was kept.",
            ),
            Misconception(
                "grr_ending_denominator",
                lambda book: 4.6 / 5.3,
                "You divided by ending ARR ($5.3M). Divide by the $5.0M the book started with.",
            ),
        ),
        hints=("Start from $5.0M and subtract only what was lost.", "(5.0 - 0.4) / 5.0"),
        solution_code="five_million_grr = (5_000_000 - 400_000) / 5_000_000  # 0.92",
    ),
    Question(
        qid="p2_book_nrr",
        answer="book_nrr",
        title="Practice 2: this book's NRR",
        points=0,
        kind="value",
        inputs=lambda book: (),
        reference=on_report(nrr_of),
        compare=Number(rel=1e-6, what="a share such as 1.04"),
        misconceptions=pick(
            MISCONCEPTIONS, "nrr_counts_new_logos", "nrr_average_denominator", "nrr_ignores_contraction"
        ),
        hints=QUESTIONS[0].hints,
        solution_code="""start = report[report["arr_start"] > 0]
book_nrr = (start["arr_start"].sum() + start["expansion_arr"].sum()
            - start["contraction_arr"].sum() - start["churn_arr"].sum()) / start["arr_start"].sum()""",
    ),
    *(q.as_practice(_SOLUTIONS[q.qid]) for q in QUESTIONS if q.qid in _SOLUTIONS),
)
