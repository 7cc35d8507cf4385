"""Module 3's graded questions, and the unusual books their hidden tests also run on."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from csm_academy.book import variants
from csm_academy.book.book import Book
from csm_academy.lessons.expansion.handout import (
    capacity_inputs,
    ledger_inputs,
    pipeline_inputs,
    renewal_inputs,
    sheet_inputs,
    utilisation_inputs,
)
from csm_academy.lessons.expansion.misconceptions import MISCONCEPTIONS
from csm_academy.lessons.expansion.reference import choice_bar, utilisation_of, verdict_sheet_of
from csm_academy.lessons.views import applied
from csm_academy.metrics import expansion
from csm_academy.questions.compare import Choice, Figures, PerRow, Table
from csm_academy.questions.lesson import pick
from csm_academy.questions.question import Question

# --- Edge cases for hidden tests: unusual books, each still a consistent book ---------------------


def _first_account_without_usage(book: Book) -> Book:
    """The first account's usage rows are missing (a new product-analytics feed that never connected)."""
    first = book.accounts["account_id"].iloc[0]
    return replace(book, usage=book.usage[book.usage["account_id"] != first].reset_index(drop=True))


def _sponsors_interested_unfunded(book: Book) -> Book:
    """Every CSM proposal has an interested sponsor and none has confirmed budget."""
    opp = book.opportunities.copy()
    csm = opp["source"].astype(str) == "CSM"
    opp.loc[csm, "sponsor_interest"] = True
    opp.loc[csm, "sponsor_funded"] = False
    return replace(book, opportunities=opp)


def _no_usage_tiers(book: Book) -> Book:
    """No account is on usage pricing: no automatic step-ups, and every ARR figure reconciled without them."""
    opp = book.opportunities
    auto = opp[(opp["source"].astype(str) == "usage tier") & (opp["stage"].astype(str) == "won")]
    step = auto.groupby("account_id")["amount_arr"].sum()
    acc = book.accounts.copy()
    lift = acc["account_id"].map(step).fillna(0).astype("int64")
    acc["expansion_arr"] -= lift
    acc["churn_arr"] -= np.where(acc["churned"], lift, 0)
    acc["arr_end"] = acc["arr_start"] + acc["expansion_arr"] - acc["contraction_arr"] - acc["churn_arr"]
    acc["pricing_model"] = (
        acc["pricing_model"].astype(str).replace({"usage": "seat"}).astype(acc["pricing_model"].dtype)
    )
    ren = book.renewals.copy()
    ren_lift = ren["account_id"].map(step).fillna(0).astype("int64")
    ren["arr_due"] -= ren_lift
    ren["arr_after"] -= np.where(ren["outcome"].astype(str) == "churned", 0, ren_lift)
    keep = opp["source"].astype(str) != "usage tier"
    return replace(book, accounts=acc, renewals=ren, opportunities=opp[keep].reset_index(drop=True))


_NO_ENTERPRISE = ("no Enterprise accounts", variants.without_segment("Enterprise"))

QUESTIONS: tuple[Question, ...] = (
    Question(
        qid="q1_seat_utilisation",
        answer="seat_utilisation",
        title="Q1 Seat utilisation",
        revisit="Evidence of value: utilisation, breadth and outcome",
        points=2,
        inputs=utilisation_inputs,
        reference=applied(utilisation_inputs, utilisation_of),
        compare=PerRow(kind="number", key="account_id", what="one utilisation share per account_id"),
        misconceptions=pick(MISCONCEPTIONS, "utilisation_against_active_users", "utilisation_summed_over_months"),
        hints=(
            "Utilisation compares people using the product with seats the customer pays for. Which table has "
            "each, and how do you get one figure per account from twelve months?",
            "Average active_users per account_id over the usage rows, divide by seats_purchased, and give 0 to "
            "an account with no usage rows. Return a Series indexed by account_id.",
        ),
        wrong="Those utilisation figures do not match the book. Check the numerator (a typical month's active "
        "users), the denominator (seats purchased) and that every account has one value.",
        edge_cases=(("an account with no usage on record", _first_account_without_usage), _NO_ENTERPRISE),
    ),
    Question(
        qid="q2_value_proven",
        answer="value_proven",
        title="Q2 Is value proven?",
        revisit="The three criteria",
        points=2,
        inputs=pipeline_inputs,
        reference=applied(pipeline_inputs, expansion.value_proven),
        compare=PerRow(kind="flag", what="True or False per opportunity_id"),
        misconceptions=pick(MISCONCEPTIONS, "logins_as_proof_of_value", "adoption_without_outcome"),
        hints=(
            "Value is proven by adoption and outcome together. Which columns measure each one?",
            "(active_users / seats_purchased >= 0.7) & (milestones_hit / milestones_planned >= 0.6), as a "
            "Series indexed by opportunity_id.",
        ),
        wrong="Those True/False answers do not match. Check both halves: adoption against seats purchased, and "
        "the share of success-plan milestones hit.",
        edge_cases=(_NO_ENTERPRISE,),
    ),
    Question(
        qid="q3_criteria_met",
        answer="criteria_met",
        title="Q3 How many criteria does each opportunity meet?",
        revisit="The three criteria",
        points=2,
        inputs=pipeline_inputs,
        reference=applied(pipeline_inputs, expansion.criteria_met),
        compare=PerRow(kind="count", what="a count from 0 to 3 per opportunity_id"),
        misconceptions=pick(MISCONCEPTIONS, "sponsor_interest_as_funding", "any_use_case_counts"),
        hints=(
            "Three yes/no questions per opportunity: value proven (as in Q2), a real next use case, a sponsor "
            "who will fund it. Add up the yeses.",
            "A real use case starts with 'New ' (a new team, region or workflow); funding is sponsor_funded. "
            "Return the sum of the three as whole numbers, indexed by opportunity_id.",
        ),
        wrong="Those counts do not match. Check each criterion on its own: value proven, a new use case, and "
        "confirmed funding.",
        edge_cases=(("every sponsor interested, none funded", _sponsors_interested_unfunded), _NO_ENTERPRISE),
    ),
    Question(
        qid="q4_verdict",
        answer="verdict",
        title="Q4 The verdict: pursue, maybe or no",
        revisit="The three criteria",
        points=2,
        inputs=sheet_inputs,
        reference=applied(sheet_inputs, verdict_sheet_of),
        compare=PerRow(kind="label", what="'pursue', 'maybe' or 'no' per opportunity_id"),
        misconceptions=pick(MISCONCEPTIONS, "two_of_three_is_yes", "one_of_three_is_maybe"),
        hints=(
            "Count the criteria met: value_proven, real_use_case and sponsor_funded (not sponsor_interest).",
            "3 of 3 is 'pursue', 2 is 'maybe', 1 or 0 is 'no'. Return a Series indexed by opportunity_id.",
        ),
        wrong="Those verdicts do not match. Count the three criteria per opportunity, then apply the rule.",
        edge_cases=(("every sponsor interested, none funded", _sponsors_interested_unfunded), _NO_ENTERPRISE),
    ),
    Question(
        qid="q5_contraction_by_value",
        answer="contraction_by_value",
        title="Q5 Contraction at the next renewal: upsells without and with proven value",
        revisit="The $40K upsell under quota pressure",
        points=3,
        inputs=renewal_inputs,
        reference=applied(renewal_inputs, expansion.contraction_rates),
        compare=Figures(keys=(expansion.WITHOUT, expansion.WITH), abs=1e-6, what="two shares"),
        misconceptions=pick(MISCONCEPTIONS, "contraction_counts_lost_proposals", "contraction_counts_churn"),
        hints=(
            "Only won upsells reached the contract. Join them to renewals on account_id and look at the outcome.",
            "Among won rows, the share whose renewal outcome is 'contracted', separately where value_proven is "
            f"False and True: return {{'{expansion.WITHOUT}': ..., '{expansion.WITH}': ...}}.",
        ),
        wrong="Those rates do not match. Check which opportunities you kept, which outcome you counted, and how "
        "you split them.",
        edge_cases=(_NO_ENTERPRISE,),
    ),
    Question(
        qid="q6_expansion_by_source",
        answer="expansion_by_source",
        title="Q6 Who moved the expansion? CSM-influenced and automatic ARR per CSM",
        revisit="Attribution: who moved the expansion?",
        points=2,
        inputs=ledger_inputs,
        reference=applied(ledger_inputs, expansion.expansion_by_source),
        compare=Table(
            columns=(expansion.CSM_INFLUENCED, expansion.AUTOMATIC), abs=0.5, rel=0, what="a table with one row per CSM"
        ),
        misconceptions=pick(MISCONCEPTIONS, "automatic_credited_to_csm", "lost_proposals_credited"),
        hints=(
            "Two things decide who gets the credit: whether the opportunity was won, and its source.",
            "Keep stage 'won'; per csm, sum amount_arr where source is 'CSM' (csm_influenced) and where it is "
            "'usage tier' (automatic), 0 where there is none. One row per CSM with a won opportunity.",
        ),
        wrong="That table does not match the ledger. Check the rows you kept and how you split them by source.",
        edge_cases=(("no usage-priced accounts", _no_usage_tiers), _NO_ENTERPRISE),
    ),
    Question(
        qid="q7_choose_motions",
        answer="choose_motions",
        title="Q7 Judgement: which opportunities to work this quarter",
        revisit="A quarter's capacity: which opportunities to work",
        points=4,
        inputs=capacity_inputs,
        reference=choice_bar,
        compare=Choice(what="a list of opportunity ids"),
        misconceptions=pick(MISCONCEPTIONS, "not_in_pipeline", "over_capacity", "order_taking", "yes_before_size"),
        hints=(
            "Qualification decides which opportunities you may work at all; size and likelihood decide the order.",
            "Leave out every 'no'. Rank the rest by amount_arr times roughly how much of such deals holds (about "
            "0.85 for a pursue, 0.5 for a maybe) and return the top `capacity` opportunity ids as a list.",
        ),
        wrong="Your choice keeps too little of the ARR that proved durable on this book. Qualify first, then "
        "weigh each workable opportunity by how much is at stake and how likely it is to hold.",
        edge_cases=(_NO_ENTERPRISE,),
    ),
)
