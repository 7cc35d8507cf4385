"""Module 4's known wrong answers: each produces, from the same book, the answer a named mistake gives."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from csm_academy.book.book import Book
from csm_academy.lessons.save_or_let_go.compare import TriageBar, UsesLabel
from csm_academy.lessons.save_or_let_go.handout import (
    claim_inputs,
    desk_inputs,
    pipeline_inputs,
    plan_inputs,
    renewal_inputs,
)
from csm_academy.lessons.save_or_let_go.reference import plan_bar, triage_bar
from csm_academy.lessons.views import applied
from csm_academy.metrics import health, renewal
from csm_academy.questions.compare import BrokenRule
from csm_academy.questions.question import Misconception


def _table_in_accounts(renewals: pd.DataFrame) -> pd.DataFrame:
    return renewal.forecast_vs_outcome(renewals.assign(arr_due=1))


def _table_from_arr_after(renewals: pd.DataFrame) -> pd.DataFrame:
    return renewal.forecast_vs_outcome(renewals.assign(arr_due=renewals["arr_after"]))


def _surprises_from_arr_after(renewals: pd.DataFrame) -> dict[str, float]:
    return renewal.surprises(renewals.assign(arr_due=renewals["arr_after"]))


def _surprises_commit_only(renewals: pd.DataFrame) -> dict[str, float]:
    return renewal.surprises(renewals.assign(csm_forecast=renewals["csm_forecast"].replace({"likely": "at-risk"})))


def _surprises_at_risk_as_lost(renewals: pd.DataFrame) -> dict[str, float]:
    calls = renewals["csm_forecast"].replace({"at-risk": "lost"})
    return renewal.surprises(renewals.assign(csm_forecast=calls))


def _triage_rule(rule: str) -> Callable[[Book], TriageBar]:
    return lambda book: triage_bar(book, rule)


def _fit_any_missing_feature(pipe: pd.DataFrame) -> pd.Series:
    return pipe.set_index("account_id")["missing_feature_tickets"] > 0


def _fit_industry_only(pipe: pd.DataFrame) -> pd.Series:
    return renewal.fit_clues(pipe)["misfit_industry"]


def _fit_slow_only(pipe: pd.DataFrame) -> pd.Series:
    return renewal.fit_clues(pipe)["slow_first_value"]


def _fit_low_health(pipe: pd.DataFrame) -> pd.Series:
    return pipe.set_index("account_id")["health_score"] < health.RED_BELOW


def _plan_biggest_first(desk: pd.DataFrame, budget: int) -> list[int]:
    d = desk.set_index("account_id")
    return renewal.fill(d["arr_due"].sort_values(ascending=False, kind="stable").index, d["hours_needed"], budget)


def _budget_rule(rule: str) -> Callable[[Book], BrokenRule]:
    return lambda book: BrokenRule(rule, plan_bar(book))


def _lever_face_value(desk: pd.DataFrame) -> pd.Series:
    levers = renewal.lever(desk)
    said = desk.set_index("account_id")["customer_says"]
    return levers.where(said != "missing features", renewal.LEVERS[0])


def _claims_all(claim: pd.DataFrame) -> pd.Series:
    return pd.Series(True, index=claim["account_id"].to_numpy())


def _claims_play_run(claim: pd.DataFrame) -> pd.Series:
    c = claim.set_index("account_id")
    return c["save_play_run"].astype(bool) & (c["outcome"] != "churned")


MISCONCEPTIONS: dict[str, Misconception] = {
    m.id: m
    for m in (
        Misconception(
            "forecast_counted_accounts",
            applied(renewal_inputs, _table_in_accounts),
            "You counted renewals. A forecast is money: add up arr_due, the ARR each renewal put on the table, "
            "so one Enterprise renewal weighs what it is worth.",
        ),
        Misconception(
            "forecast_used_arr_after",
            applied(renewal_inputs, _table_from_arr_after),
            "You added up arr_after, what was left after the renewal, so every churned renewal counts as 0 "
            "and the forecast's worst misses vanish. Use arr_due: what was at stake when the call was made.",
        ),
        Misconception(
            "surprise_used_arr_after",
            applied(renewal_inputs, _surprises_from_arr_after),
            "You measured the surprise with arr_after. A churned renewal leaves 0 after it, so the ARR you "
            "were surprised by disappears from the count. Use arr_due.",
        ),
        Misconception(
            "surprise_commit_only",
            applied(renewal_inputs, _surprises_commit_only),
            "You counted only renewals called commit. A 'likely' call also told leadership the money was "
            "coming: churn under either safe call is a surprise.",
        ),
        Misconception(
            "surprise_at_risk_as_lost",
            applied(renewal_inputs, _surprises_at_risk_as_lost),
            "You counted at-risk renewals that stayed as wrong calls. At-risk means 'could go either way, "
            "act now'; only a renewal called lost that stayed is a call in the wrong direction.",
        ),
        Misconception(
            "triage_on_health_alone",
            _triage_rule("health_only"),
            "Your calls follow the dashboard health score alone. That score leans on logins, and a green "
            "dashboard hides lost champions, absent buyers and unmet outcomes. Read sponsorship, value "
            "attainment, competition and fit too.",
        ),
        Misconception(
            "triage_one_call",
            _triage_rule("one_call"),
            "You gave every renewal the same call. Calling everything at risk cries wolf and spreads effort "
            "over accounts that are fine; calling everything safe is hope, not a forecast.",
        ),
        Misconception(
            "triage_wrong_accounts",
            _triage_rule("accounts"),
            "Your calls do not cover exactly the accounts in the pipeline: give one call per account_id, "
            "for every renewal in the table.",
        ),
        Misconception(
            "fit_gap_any_feature_request",
            applied(pipeline_inputs, _fit_any_missing_feature),
            "You flagged every account that asked for a missing feature. Most customers that fit well ask "
            "for features too; a fit gap shows when several clues agree (the industry, slow first value, "
            "and tickets that are mostly about what the product does not do).",
        ),
        Misconception(
            "fit_gap_industry_alone",
            applied(pipeline_inputs, _fit_industry_only),
            "You flagged every account in the industry the product was not built for. Many of them use it "
            "well, and mis-sold accounts turn up elsewhere too: look for two clues that agree.",
        ),
        Misconception(
            "fit_gap_slow_onboarding_alone",
            applied(pipeline_inputs, _fit_slow_only),
            "You flagged every slow onboarding. Slow first value is one clue, but plenty of good-fit accounts "
            "onboard slowly (Enterprise rollouts do); a fit gap needs a second clue that agrees.",
        ),
        Misconception(
            "fit_gap_low_health",
            applied(pipeline_inputs, _fit_low_health),
            "You flagged accounts with a red health score. Poor health says something is wrong, not that the "
            "product was the wrong buy: fit shows in the industry, the time to first value and what the "
            "customer keeps asking for.",
        ),
        Misconception(
            "save_biggest_first",
            applied(plan_inputs, _plan_biggest_first),
            "You spent the hours on the biggest accounts first, whether or not a save could work. A big "
            "account that was mis-sold, or has nobody left to sponsor a renewal, swallows a week of effort "
            "and churns anyway. Leave out fit gaps and unreachable sponsors, then weigh ARR against hours.",
        ),
        Misconception(
            "save_regardless_of_fit",
            _budget_rule("fit_gap"),
            "Your plan spends save hours on accounts with a fit gap. A mis-sold customer needs a clean exit "
            "and the gap fed back to sales and product; a coerced renewal churns louder next year, and the "
            "hours were owed to accounts that can be saved.",
        ),
        Misconception(
            "save_over_budget",
            _budget_rule("over_budget"),
            "Your plan needs more hours than the team has this quarter. Choosing is the job: keep the total "
            "of hours_needed within the budget.",
        ),
        Misconception(
            "save_not_on_desk",
            _budget_rule("not_on_desk"),
            "Some of your ids are not on the save desk. Return account_id values from the desk table.",
        ),
        Misconception(
            "discount_as_lever",
            lambda book: UsesLabel("discount"),
            "You reached for a discount. Price is rarely the real reason a customer leaves, and a save bought "
            "with a discount resets the price without fixing what was wrong: close the value gap or rebuild "
            "sponsorship, and let a mis-sold account go cleanly.",
        ),
        Misconception(
            "lever_takes_customer_at_their_word",
            applied(desk_inputs, _lever_face_value),
            "You let the customer's words pick the play: everyone who said 'missing features' got an exit. "
            "'Missing features' is often a value gap or a lost champion talking; only the fit-gap evidence "
            "makes an exit the right call.",
        ),
        Misconception(
            "every_claim_is_a_save",
            applied(claim_inputs, _claims_all),
            "You accepted every claimed save. A renewal that was never in doubt is not a save, however hard "
            "the CSM worked: check that a save play ran, the account stayed, and the signals said at risk.",
        ),
        Misconception(
            "save_never_at_risk",
            applied(claim_inputs, _claims_play_run),
            "You counted renewals that were never at risk. A save play ran and the account stayed, but the "
            "signals never said it might leave: it looked at risk on a technicality (one loud outage ticket, "
            "one angry survey, which is what the CSM's own call reacts to). Use triage_call: a save needs it "
            "to have been at-risk or lost.",
        ),
    )
}
