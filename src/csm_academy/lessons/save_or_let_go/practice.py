"""Module 4's practice in the teaching notebook: warm-ups and graded questions with their solutions shown."""

from __future__ import annotations

from csm_academy.lessons.save_or_let_go.questions import QUESTIONS
from csm_academy.questions.compare import Label, Number
from csm_academy.questions.question import Misconception, Question

_SOLUTIONS = {
    "q2_surprises": """def surprises(renewals):
    churned = renewals["outcome"] == "churned"
    safe = renewals["csm_forecast"].isin(["commit", "likely"])
    lost_call = renewals["csm_forecast"] == "lost"
    return {
        "called_safe_churned": renewals.loc[safe & churned, "arr_due"].sum(),
        "called_lost_renewed": renewals.loc[lost_call & ~churned, "arr_due"].sum(),
    }""",
    "q7_real_saves": """def real_saves(claims):
    c = claims.set_index("account_id")
    return c["save_play_run"] & (c["outcome"] != "churned") & c["triage_call"].isin(["at-risk", "lost"])""",
}

PRACTICE: tuple[Question, ...] = (
    Question(
        qid="p1_early_warning_weeks",
        answer="weeks_to_work_with",
        title="Practice 1: how much time a 30-day warning leaves",
        points=0,
        kind="value",
        inputs=lambda book: (),
        reference=lambda book: (30 - 14) / 7,
        compare=Number(rel=0, abs=0.01, what="a number of weeks"),
        misconceptions=(
            Misconception(
                "forgot_the_paperwork",
                lambda book: 30 / 7,
                "Two weeks of the thirty days go on paperwork and approvals; take them off first.",
            ),
        ),
        hints=(
            "Thirty days out, minus the two weeks a renewal's paperwork takes, in weeks.",
            "(30 - 14) / 7.",
        ),
        solution_code="weeks_to_work_with = (30 - 14) / 7  # about 2.3 weeks: not enough for a 60-day value plan",
    ),
    Question(
        qid="p2_bad_fit_lever",
        answer="bad_fit_lever",
        title="Practice 2: the lever for the bad-fit save",
        points=0,
        kind="value",
        inputs=lambda book: (),
        reference=lambda book: "clean exit",
        compare=Label(what="'clean exit', 'rebuild sponsorship' or 'close the value gap'"),
        misconceptions=(
            Misconception(
                "discount_as_lever",
                lambda book: "discount",
                "A discount buys one more year of a product that does not fit; it churns louder next time.",
            ),
            Misconception(
                "value_gap_for_a_misfit",
                lambda book: "close the value gap",
                "There is no value gap to close when the core workflow is one the product was never built for.",
            ),
        ),
        hints=("Was the product ever built for what they bought it to do?", "Mis-sold means a clean exit."),
        solution_code='bad_fit_lever = "clean exit"  # mis-sold: offboard well, feed the gap back to sales and product',
    ),
    *(q.as_practice(_SOLUTIONS[q.qid]) for q in QUESTIONS if q.qid in _SOLUTIONS),
)
