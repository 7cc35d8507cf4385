"""Module 3's practice in the teaching notebook: warm-ups and graded questions with their solutions shown."""

from __future__ import annotations

from csm_academy.lessons.expansion.questions import QUESTIONS
from csm_academy.questions.compare import Label, Number
from csm_academy.questions.question import Misconception, Question

_SOLUTIONS = {
    "q2_value_proven": """def value_proven(pipeline):
    p = pipeline.set_index("opportunity_id")
    adopted = p["active_users"] / p["seats_purchased"] >= 0.7
    outcome = p["milestones_hit"] / p["milestones_planned"] >= 0.6
    return adopted & outcome""",
    "q6_expansion_by_source": """def expansion_by_source(ledger):
    won = ledger[ledger["stage"] == "won"]
    table = won.pivot_table(index="csm", columns="source", values="amount_arr", aggfunc="sum", fill_value=0)
    return pd.DataFrame({"csm_influenced": table.get("CSM", 0), "automatic": table.get("usage tier", 0)})""",
}

PRACTICE: tuple[Question, ...] = (
    Question(
        qid="p1_forty_k_utilisation",
        answer="forty_k_utilisation",
        title="Practice 1: utilisation of the account behind the 40K upsell",
        points=0,
        kind="value",
        inputs=lambda book: (),
        reference=lambda book: 60 / 200,
        compare=Number(rel=0, abs=0.0005, what="a share such as 0.5"),
        misconceptions=(
            Misconception(
                "utilisation_against_active_users",
                lambda book: 1.0,
                "That is active users divided by active users. Utilisation divides by the 200 seats the customer "
                "pays for.",
            ),
            Misconception(
                "utilisation_inverted",
                lambda book: 200 / 60,
                "You divided seats by users. Put the people using it on top: active users over seats purchased.",
            ),
        ),
        hints=(
            "How many of the seats the customer pays for are in use?",
            "60 active users out of 200 seats: 60 / 200.",
        ),
        solution_code="forty_k_utilisation = 60 / 200  # 0.30: 30% of the seats are in use",
    ),
    Question(
        qid="p2_two_of_three",
        answer="its_verdict",
        title="Practice 2: the verdict on two of three",
        points=0,
        kind="value",
        inputs=lambda book: (),
        reference=lambda book: "maybe",
        compare=Label(what="'pursue', 'maybe' or 'no'"),
        misconceptions=(
            Misconception(
                "two_of_three_is_yes",
                lambda book: "pursue",
                "Two of three is a maybe, not a yes: the missing use case has to be found before you pitch.",
            ),
            Misconception(
                "two_of_three_is_no",
                lambda book: "no",
                "Only one criterion or none makes a no. Two of three is worth working on: it is a maybe.",
            ),
        ),
        hints=("Count the criteria it meets.", "Value proven and funded: 2 of 3. The rule: 3 pursue, 2 maybe, 0-1 no."),
        solution_code='its_verdict = "maybe"  # value proven and funded, but no new use case: 2 of 3',
    ),
    *(q.as_practice(_SOLUTIONS[q.qid]) for q in QUESTIONS if q.qid in _SOLUTIONS),
)
