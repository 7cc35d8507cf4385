"""Module 1's graded questions, and the unusual books each is also tested on."""

from __future__ import annotations

from csm_academy.book import variants
from csm_academy.lessons.nrr_math.handout import mrr_inputs, on_mrr, on_report, report_inputs
from csm_academy.lessons.nrr_math.misconceptions import MISCONCEPTIONS
from csm_academy.lessons.nrr_math.reference import (
    bridge_from_mrr,
    grr_of,
    logo_retention_of,
    masked_churn_of,
    nrr_of,
    retention_table_of,
    segment_masking_churn_of,
)
from csm_academy.metrics import retention
from csm_academy.questions.compare import Figures, Label, Number, Table
from csm_academy.questions.lesson import pick
from csm_academy.questions.question import Question

_EDGES_RETENTION = (
    ("no churn at all", variants.no_churn),
    ("one whale expansion", variants.whale_expansion),
    ("no Enterprise accounts", variants.without_segment("Enterprise")),
)

QUESTIONS: tuple[Question, ...] = (
    Question(
        qid="q1_nrr",
        answer="nrr",
        title="Q1 Net revenue retention",
        revisit="Why new logos never enter NRR",
        points=2,
        inputs=report_inputs,
        reference=on_report(nrr_of),
        compare=Number(what="a share such as 1.04 (meaning 104%)"),
        misconceptions=pick(
            MISCONCEPTIONS, "nrr_counts_new_logos", "nrr_average_denominator", "nrr_ignores_contraction"
        ),
        hints=(
            "NRR is about the accounts you had on 1 January 2025. Which rows of the report are those?",
            "Keep rows with arr_start > 0, then (sum of arr_start + expansion - contraction - churn) / sum of "
            "arr_start.",
        ),
        wrong="That is not this book's NRR. Check which rows you kept and which movements you added or subtracted.",
        edge_cases=_EDGES_RETENTION,
    ),
    Question(
        qid="q2_grr",
        answer="grr",
        title="Q2 Gross revenue retention",
        revisit="Worked example: the $5M book",
        points=2,
        inputs=report_inputs,
        reference=on_report(grr_of),
        compare=Number(what="a share such as 0.91"),
        misconceptions=pick(
            MISCONCEPTIONS, "grr_includes_expansion", "grr_ignores_contraction", "grr_ending_denominator"
        ),
        hints=(
            "GRR answers: of the revenue we started with, how much did we keep, before any upsell?",
            "(starting ARR - contraction - churn) / starting ARR, over accounts with arr_start > 0.",
        ),
        wrong="That is not this book's GRR. It should never be above 1, and expansion plays no part in it.",
        edge_cases=_EDGES_RETENTION,
    ),
    Question(
        qid="q3_logo_retention",
        answer="logo_retention",
        title="Q3 Logo retention",
        revisit="The three numbers on the real book",
        points=2,
        inputs=report_inputs,
        reference=on_report(logo_retention_of),
        compare=Number(what="a share such as 0.9"),
        misconceptions=pick(
            MISCONCEPTIONS, "logo_retention_from_dollars", "logo_contraction_as_churn", "logo_counts_new_logos"
        ),
        hints=(
            "Logos are accounts. Dollars do not enter this one at all.",
            "Among accounts with arr_start > 0: 1 - (number churned / number of accounts).",
        ),
        wrong="That is not this book's logo retention: count starting accounts, and treat only churn as a loss.",
        edge_cases=(("no churn at all", variants.no_churn), ("only five accounts", variants.first_accounts(5))),
    ),
    Question(
        qid="q4_retention_by_segment",
        answer="retention_by_segment",
        title="Q4 Retention by segment",
        revisit="Retention by segment: the tell",
        points=3,
        inputs=report_inputs,
        reference=on_report(retention_table_of),
        compare=Table(columns=("nrr", "grr", "logo_retention"), what="a table with one row per segment"),
        misconceptions=pick(MISCONCEPTIONS, "segment_table_counts_new_logos", "segment_grr_includes_expansion"),
        hints=(
            "Filter to starting accounts first, then group by segment and sum the movement columns.",
            "Return a DataFrame indexed by segment name with columns nrr, grr and logo_retention; a segment "
            "with no starting accounts gets no row.",
        ),
        wrong="Your segment table does not match the book. Check each column per segment against Q1-Q3.",
        edge_cases=(
            ("no Enterprise accounts", variants.without_segment("Enterprise")),
            ("one whale expansion", variants.whale_expansion),
        ),
    ),
    Question(
        qid="q5_bridge_from_mrr",
        answer="bridge_from_mrr",
        title="Q5 ARR bridge from a monthly export",
        revisit="Monthly or annual?",
        points=2,
        inputs=mrr_inputs,
        reference=on_mrr(bridge_from_mrr),
        compare=Figures(keys=retention.BRIDGE_LINES, what="the five bridge figures"),
        misconceptions=pick(MISCONCEPTIONS, "mrr_not_annualised", "bridge_losses_negative"),
        hints=(
            "The export is in dollars per month. What do you multiply a monthly figure by to get a year?",
            "Sum each mrr_ column and multiply by 12; return a dict with keys 'Starting ARR', 'Expansion', "
            "'Contraction', 'Churn', 'Ending ARR' (losses as positive amounts).",
        ),
        wrong="Those figures do not match the export. Check the units (monthly or annual) and each line's sum.",
        edge_cases=(("no churn at all", variants.no_churn),),
    ),
    Question(
        qid="q6_segment_masking_churn",
        answer="segment_masking_churn",
        title="Q6 Which segment's NRR hides logo churn?",
        revisit="Retention by segment: the tell",
        points=2,
        inputs=report_inputs,
        reference=on_report(segment_masking_churn_of),
        compare=Label(what="a segment name such as 'SMB'"),
        misconceptions=pick(MISCONCEPTIONS, "picked_lowest_logo_retention", "picked_highest_nrr"),
        hints=(
            "The tell is dollar retention and logo retention moving apart: a few big upsells, many small losses.",
            "Per segment (starting accounts only) compute NRR and logo retention; keep segments with NRR of at "
            "least 1.0, and return the one with the lowest logo retention.",
        ),
        wrong="That is not the segment whose NRR of 100% or more covers the largest share of lost logos.",
        edge_cases=(("one whale expansion", variants.whale_expansion),),
    ),
    Question(
        qid="q7_churn_masked_by_expansion",
        answer="churn_masked_by_expansion",
        title="Q7 How much churn does expansion mask?",
        revisit="The three numbers on the real book",
        points=2,
        inputs=report_inputs,
        reference=on_report(masked_churn_of),
        compare=Number(abs=0.5, rel=0, what="a number of dollars"),
        misconceptions=pick(MISCONCEPTIONS, "masked_is_all_expansion", "masked_ignores_contraction", "masked_as_share"),
        hints=(
            "In the $5M example, $700K of expansion covered $400K of churn: the masked amount was $400K.",
            "Over starting accounts: the smaller of total expansion and (total churn + total contraction).",
        ),
        wrong="That is not the amount of lost ARR that expansion covers up in this book.",
        edge_cases=(("no churn at all", variants.no_churn), ("one whale expansion", variants.whale_expansion)),
    ),
)
