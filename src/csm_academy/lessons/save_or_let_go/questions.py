"""Module 4's graded questions, and the unusual books their hidden tests also run on."""

from __future__ import annotations

from dataclasses import replace

from csm_academy.book import variants
from csm_academy.book.book import Book
from csm_academy.lessons.save_or_let_go.compare import Flags, Forecast, Levers, SavePlan
from csm_academy.lessons.save_or_let_go.handout import (
    claim_inputs,
    desk_inputs,
    pipeline_inputs,
    plan_inputs,
    renewal_inputs,
)
from csm_academy.lessons.save_or_let_go.misconceptions import MISCONCEPTIONS
from csm_academy.lessons.save_or_let_go.reference import fit_bar, plan_bar, triage_bar
from csm_academy.lessons.views import applied
from csm_academy.metrics import renewal
from csm_academy.questions.compare import Figures, PerRow, Table
from csm_academy.questions.lesson import pick
from csm_academy.questions.question import Question

#: Hidden books for the judgement questions: big enough that ARR-weighted figures are not one whale's luck.
JUDGEMENT_ACCOUNTS = 2000

# --- Edge cases for hidden tests: unusual books, each still a consistent book ---------------------

_NO_ENTERPRISE = ("no Enterprise accounts", variants.without_segment("Enterprise"))


def _nobody_churned(book: Book) -> Book:
    """Every renewal kept: no churned outcome anywhere in the renewals table."""
    ren = book.renewals.copy()
    churned = ren["outcome"].astype(str) == "churned"
    ren["outcome"] = ren["outcome"].astype(str).where(~churned, "renewed").astype(ren["outcome"].dtype)
    ren["arr_after"] = ren["arr_after"].where(~churned, ren["arr_due"])
    return replace(book, renewals=ren)


# --- Questions --------------------------------------------------------------------------------------

QUESTIONS: tuple[Question, ...] = (
    Question(
        qid="q1_forecast_vs_outcome",
        answer="forecast_vs_outcome",
        title="Q1 The forecast against what happened",
        revisit="Part 1: Audit last year's forecast",
        points=2,
        inputs=renewal_inputs,
        reference=applied(renewal_inputs, renewal.forecast_vs_outcome),
        compare=Table(columns=renewal.FATES, abs=0.5, rel=0, what="a table with one row per call"),
        misconceptions=pick(MISCONCEPTIONS, "forecast_counted_accounts", "forecast_used_arr_after"),
        hints=(
            "Rows are the CSM's calls, columns what the renewal came to; each cell is money at stake.",
            "Map outcome 'expanded' to 'renewed', then pivot arr_due by csm_forecast (rows) and that fate "
            "(columns renewed, contracted, churned), summing and filling 0. One row per call.",
        ),
        wrong="That table does not match the renewals. Check the money column you added up, how you grouped "
        "the outcomes, and that every call has a row and every fate a column.",
        edge_cases=(("no renewal churned", _nobody_churned), _NO_ENTERPRISE),
    ),
    Question(
        qid="q2_surprises",
        answer="surprises",
        title="Q2 Surprises, in dollars",
        revisit="Part 1: Audit last year's forecast",
        points=2,
        inputs=renewal_inputs,
        reference=applied(renewal_inputs, renewal.surprises),
        compare=Figures(
            keys=(renewal.CALLED_SAFE_CHURNED, renewal.CALLED_LOST_RENEWED), abs=0.5, what="two dollar figures"
        ),
        misconceptions=pick(
            MISCONCEPTIONS, "surprise_used_arr_after", "surprise_commit_only", "surprise_at_risk_as_lost"
        ),
        hints=(
            "Two mistakes in opposite directions: money called safe that left, and money given up that stayed.",
            "called_safe_churned: arr_due where csm_forecast is commit or likely and outcome is churned. "
            "called_lost_renewed: arr_due where csm_forecast is lost and outcome is not churned.",
        ),
        wrong="Those figures do not match the renewals. Check which calls count as safe, which outcome counts "
        "as a loss, and which money column you added up.",
        edge_cases=(("no renewal churned", _nobody_churned), _NO_ENTERPRISE),
    ),
    Question(
        qid="q3_triage",
        answer="triage",
        title="Q3 Judgement: triage the renewal pipeline",
        revisit="Part 2: Triage from signals, not from the dashboard",
        points=4,
        inputs=pipeline_inputs,
        reference=triage_bar,
        compare=Forecast(),
        misconceptions=pick(MISCONCEPTIONS, "triage_wrong_accounts", "triage_one_call", "triage_on_health_alone"),
        hints=(
            "Churn here comes from unmet outcomes, lost champions (worst when single-threaded), absent buyers, "
            "competitors and bad fit. Logins are not on that list.",
            "Give each warning sign points (e.g. value not attained 2, champion gone and single-threaded 2, "
            "fit gap 2, under-used seats, no buyer meeting in 90 days and a competitor 1 each), then call "
            "0 commit, 1-2 likely, 3-4 at-risk, 5 or more lost.",
        ),
        wrong="Your forecast is not accurate enough in dollars.",
    ),
    Question(
        qid="q4_fit_gap",
        answer="fit_gap",
        title="Q4 Judgement: which accounts were mis-sold?",
        revisit="Part 3: Judge fit honestly",
        points=3,
        inputs=pipeline_inputs,
        reference=fit_bar,
        compare=Flags(),
        misconceptions=pick(
            MISCONCEPTIONS,
            "fit_gap_any_feature_request",
            "fit_gap_industry_alone",
            "fit_gap_slow_onboarding_alone",
            "fit_gap_low_health",
        ),
        hints=(
            "Three clues point at a fit gap: the industry the product was not built for (Field Services), a "
            "slow road to first value, and tickets that mostly ask for features the product lacks.",
            "Flag an account when at least two clues agree: industry == 'Field Services', onboarding_days >= 90, "
            "missing_feature_tickets / tickets >= 0.3 (0 when there are no tickets).",
        ),
        wrong="Your flags do not find the mis-sold accounts well enough.",
    ),
    Question(
        qid="q5_save_plan",
        answer="save_plan",
        title="Q5 Judgement: where to spend the save hours",
        revisit="Part 4: Save or let go, with hours as a budget",
        points=4,
        inputs=plan_inputs,
        reference=plan_bar,
        compare=SavePlan(),
        misconceptions=pick(
            MISCONCEPTIONS, "save_not_on_desk", "save_over_budget", "save_biggest_first", "save_regardless_of_fit"
        ),
        hints=(
            "Savable first: the fit is right and someone can still sponsor the renewal. Then the money: "
            "ARR at stake for each hour of effort.",
            "Drop accounts with fit_gap True or sponsor_reachable False; sort the rest by arr_due / "
            "hours_needed, highest first, and keep each one whose hours still fit in the budget.",
        ),
        wrong="Your plan keeps too little of the ARR a save could have kept.",
    ),
    Question(
        qid="q6_save_lever",
        answer="save_lever",
        title="Q6 The lever for each save",
        revisit="Part 4: Save or let go, with hours as a budget",
        points=2,
        inputs=desk_inputs,
        reference=applied(desk_inputs, renewal.lever),
        compare=Levers(what="'clean exit', 'rebuild sponsorship' or 'close the value gap' per account_id"),
        misconceptions=pick(MISCONCEPTIONS, "discount_as_lever", "lever_takes_customer_at_their_word"),
        hints=(
            "The evidence picks the lever, not what the customer says: fit first, then sponsorship, then value.",
            "fit_gap True: 'clean exit'. Otherwise champion gone or buyer not met in 90 days "
            "(days_since_buyer_met > 90): 'rebuild sponsorship'. Otherwise 'close the value gap'.",
        ),
        wrong="Those levers do not match the evidence. Check the order: fit gap, then sponsorship, then value.",
        edge_cases=(_NO_ENTERPRISE,),
    ),
    Question(
        qid="q7_real_saves",
        answer="real_saves",
        title="Q7 Which claimed saves were real?",
        revisit="Part 5: Which saves were real?",
        points=2,
        inputs=claim_inputs,
        reference=applied(claim_inputs, renewal.real_saves),
        compare=PerRow(kind="flag", key="account_id", what="True or False per account_id"),
        misconceptions=pick(MISCONCEPTIONS, "every_claim_is_a_save", "save_never_at_risk"),
        hints=(
            "Three things make a save: someone acted, the account stayed, and it was really at risk.",
            "save_play_run is True, outcome is not 'churned', and triage_call (not csm_forecast) is "
            "'at-risk' or 'lost'. One True/False per account_id in the claims table.",
        ),
        wrong="Those flags do not match. Check each of the three conditions on its own.",
        edge_cases=(_NO_ENTERPRISE,),
    ),
)
