"""Module 3's known wrong answers: each produces, from the same book, the answer a named mistake gives."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from csm_academy.book.book import Book
from csm_academy.lessons.expansion.handout import (
    capacity_inputs,
    ledger_inputs,
    pipeline_inputs,
    renewal_inputs,
    sheet_inputs,
    utilisation_inputs,
)
from csm_academy.lessons.expansion.reference import choice_bar, criteria_on_sheet
from csm_academy.lessons.views import applied
from csm_academy.metrics import expansion
from csm_academy.questions.compare import BrokenRule
from csm_academy.questions.question import Misconception


def _util_against_active(accounts: pd.DataFrame, usage: pd.DataFrame) -> pd.Series:
    peak = usage.groupby("account_id")["active_users"].agg(["mean", "max"])
    out = (peak["mean"] / peak["max"]).reindex(accounts["account_id"]).fillna(0.0)
    return out.astype(float)


def _util_summed(accounts: pd.DataFrame, usage: pd.DataFrame) -> pd.Series:
    total = usage.groupby("account_id")["active_users"].sum()
    seats = accounts.set_index("account_id")["seats_purchased"]
    return (total.reindex(seats.index).fillna(0.0) / seats).astype(float)


def _milestones_ok(pipe: pd.DataFrame) -> pd.Series:
    return expansion.outcome_attainment(pipe) >= expansion.OUTCOME_BAR


def _value_from_logins(pipe: pd.DataFrame) -> pd.Series:
    frame = pipe.set_index("opportunity_id")
    return (frame["logins"] / frame["seats_purchased"] >= expansion.ADOPTION_BAR) & _milestones_ok(pipe)


def _value_adoption_only(pipe: pd.DataFrame) -> pd.Series:
    return expansion.utilisation_at_proposal(pipe) >= expansion.ADOPTION_BAR


def _count_with_interest(pipe: pd.DataFrame) -> pd.Series:
    interest = pipe.set_index("opportunity_id")["sponsor_interest"].astype(int)
    return expansion.value_proven(pipe).astype(int) + expansion.real_use_case(pipe).astype(int) + interest


def _count_any_use_case(pipe: pd.DataFrame) -> pd.Series:
    return expansion.value_proven(pipe).astype(int) + 1 + expansion.sponsor_funds(pipe).astype(int)


def _verdict_two_is_yes(sheet: pd.DataFrame) -> pd.Series:
    return criteria_on_sheet(sheet).map(lambda n: "pursue" if n >= 2 else "maybe" if n == 1 else "no")


def _verdict_one_is_maybe(sheet: pd.DataFrame) -> pd.Series:
    return criteria_on_sheet(sheet).map(lambda n: "pursue" if n == 3 else "maybe" if n >= 1 else "no")


def _contraction_with_lost(closed: pd.DataFrame, renewals: pd.DataFrame) -> dict[str, float]:
    # The reference keeps won rows only; marking every proposal won reproduces the mistake exactly.
    return expansion.contraction_rates(closed.assign(stage="won"), renewals)


def _contraction_with_churn(closed: pd.DataFrame, renewals: pd.DataFrame) -> dict[str, float]:
    lost_at_renewal = renewals.assign(outcome=renewals["outcome"].replace({"churned": "contracted"}))
    return expansion.contraction_rates(closed, lost_at_renewal)


def _all_credited_to_csm(ledger: pd.DataFrame) -> pd.DataFrame:
    return expansion.expansion_by_source(ledger.assign(source="CSM"))


def _lost_proposals_credited(ledger: pd.DataFrame) -> pd.DataFrame:
    return expansion.expansion_by_source(ledger.assign(stage="won"))


def verdict_before_size(pipe: pd.DataFrame, capacity: int) -> list[int]:
    """Every pursue before any maybe, biggest first within each: the verdict ranked above the amount at stake."""
    frame = expansion.qualify(pipe)
    workable = frame[frame["criteria_met"] >= 2]
    ranked = workable.sort_values(["criteria_met", "amount_arr"], ascending=False, kind="stable")
    return [int(i) for i in ranked["opportunity_id"].head(capacity)]


def _rule(rule: str) -> Callable[[Book], BrokenRule]:
    return lambda book: BrokenRule(rule, choice_bar(book))


MISCONCEPTIONS: dict[str, Misconception] = {
    m.id: m
    for m in (
        Misconception(
            "utilisation_against_active_users",
            applied(utilisation_inputs, _util_against_active),
            "You measured utilisation against the account's own active users (its busiest month), so almost "
            "every account looks fully used. Utilisation asks how much of what the customer pays for is in "
            "use: divide by seats_purchased.",
        ),
        Misconception(
            "utilisation_summed_over_months",
            applied(utilisation_inputs, _util_summed),
            "You added up active users across the months, so the same people are counted up to twelve times. "
            "Take the average month's active users, then divide by seats_purchased.",
        ),
        Misconception(
            "logins_as_proof_of_value",
            applied(pipeline_inputs, _value_from_logins),
            "You measured adoption with logins. Logins are activity, not value: a few heavy users can log in "
            "hundreds of times while most seats sit empty. Adoption is active users divided by seats purchased.",
        ),
        Misconception(
            "adoption_without_outcome",
            applied(pipeline_inputs, _value_adoption_only),
            "You counted adoption alone as proof of value. Busy seats are half the proof: the customer must "
            "also be reaching the outcome it bought (60% or more of its success-plan milestones).",
        ),
        Misconception(
            "sponsor_interest_as_funding",
            applied(pipeline_inputs, _count_with_interest),
            "You counted sponsor interest as the third criterion. Interest is a conversation; the criterion is "
            "a sponsor who will fund it: count only opportunities where sponsor_funded is True.",
        ),
        Misconception(
            "any_use_case_counts",
            applied(pipeline_inputs, _count_any_use_case),
            "You gave every opportunity the use-case criterion. More seats for the same team, a support add-on "
            "or a tier upgrade is not a new use case: only a new team, region or workflow counts.",
        ),
        Misconception(
            "two_of_three_is_yes",
            applied(sheet_inputs, _verdict_two_is_yes),
            "You called two of three a yes. Two of three is a maybe: something the account still lacks (value, "
            "a use case or funding) has to be closed before you pitch. Only three of three is a pursue.",
        ),
        Misconception(
            "one_of_three_is_maybe",
            applied(sheet_inputs, _verdict_one_is_maybe),
            "You called one criterion out of three a maybe. One or none is a no: the account has not earned "
            "an expansion yet, so the motion is adoption work, not a pitch.",
        ),
        Misconception(
            "contraction_counts_lost_proposals",
            applied(renewal_inputs, _contraction_with_lost),
            "You included proposals that were lost. An upsell the customer never bought cannot be clawed back: "
            "keep only opportunities whose stage is won.",
        ),
        Misconception(
            "contraction_counts_churn",
            applied(renewal_inputs, _contraction_with_churn),
            "You counted churned accounts as contractions. Contraction means the customer stayed on a smaller "
            "contract; churn is a different fate. Count only renewals whose outcome is contracted.",
        ),
        Misconception(
            "automatic_credited_to_csm",
            applied(ledger_inputs, _all_credited_to_csm),
            "You credited the usage tiers' automatic step-ups to the CSMs. Nobody sold those: they happen when "
            "use outgrows the contract. Split won ARR by source: 'CSM' is influenced, 'usage tier' is automatic.",
        ),
        Misconception(
            "lost_proposals_credited",
            applied(ledger_inputs, _lost_proposals_credited),
            "You credited proposals that were lost. Only won opportunities added ARR: filter to stage 'won' "
            "before you add up amounts.",
        ),
        Misconception(
            "not_in_pipeline",
            _rule("not_in_pipeline"),
            "Some of your ids are not opportunities in this pipeline (account ids, perhaps?). Return values "
            "from the opportunity_id column.",
        ),
        Misconception(
            "over_capacity",
            _rule("over_capacity"),
            "You chose more opportunities than you have capacity for this quarter. Pick at most `capacity` "
            "of them: choosing is the job.",
        ),
        Misconception(
            "order_taking",
            _rule("barred"),
            "Your choice works at least one opportunity that meets one criterion or none. That is "
            "order-taking: the account has not earned an expansion, so its motion this quarter is an adoption "
            "sprint, not a pitch.",
        ),
        Misconception(
            "yes_before_size",
            applied(capacity_inputs, verdict_before_size),
            "You worked every pursue before any maybe, however small. The verdict says how likely a deal is "
            "to hold; the amount says how much is at stake. Rank the workable ones by amount times how much "
            "of such deals usually holds (about 85% for a pursue, about half for a maybe).",
        ),
    )
}
