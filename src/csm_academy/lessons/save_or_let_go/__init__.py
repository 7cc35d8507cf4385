"""Module 4, save-or-let-go with renewal triage: the tables trainees work from, right answers, known wrong ones.

Trainees see what a CSM sees going into the forecast call: each renewal's signals (health, sponsorship,
value attainment, competition, fit clues), and afterwards what happened. The judgement questions
(triage, fit gaps, the save plan) are judged against the book's hidden truth on books the trainee never
saw, outside their kernel; the rule questions use only the book's records.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from csm_academy.book import variants as V
from csm_academy.book.book import Book
from csm_academy.lessons.save_or_let_go.compare import (
    FlagBar,
    Flags,
    Forecast,
    HoursBar,
    Levers,
    SavePlan,
    TriageBar,
    UsesLabel,
)
from csm_academy.lessons.views import applied, plain_text
from csm_academy.metrics import expansion as X
from csm_academy.metrics import health as H
from csm_academy.metrics import renewal as M
from csm_academy.metrics import situations as S
from csm_academy.questions.compare import BrokenRule, Figures, Label, Number, PerRow, Table
from csm_academy.questions.lesson import Lesson, pick
from csm_academy.questions.memo import Memo
from csm_academy.questions.question import Misconception, Question

ASSIGNMENT = "04_save_or_let_go"
#: The triage question's bar: balanced accuracy (in ARR) within this much of the course's triage on the same book.
TRIAGE_MARGIN = 0.08
#: The fit-gap question's bar: F1 within this much of the course's two-of-three-clues rule.
FIT_MARGIN = 0.10
#: The save plan's bar: this share of the best plan's expected kept ARR, or of the course plan's if lower.
BEST_SHARE = 0.70
COURSE_SHARE = 0.90
#: Hidden books for the judgement questions: big enough that ARR-weighted figures are not one whale's luck.
JUDGEMENT_ACCOUNTS = 2000

RENEWAL_COLUMNS = (
    "account_id",
    "name",
    "segment",
    "csm",
    "renewal_date",
    "arr_due",
    "csm_forecast",
    "outcome",
    "arr_after",
)
PIPELINE_COLUMNS = (
    "account_id",
    "name",
    "segment",
    "industry",
    "csm",
    "renewal_date",
    "arr_due",
    "health_score",
    "seat_utilisation",
    "milestones_hit",
    "milestones_planned",
    "onboarding_days",
    "champion_in_place",
    "days_since_buyer_met",
    "contacts_engaged",
    "competitor_mentioned",
    "tickets",
    "missing_feature_tickets",
)
DESK_COLUMNS = (
    "account_id",
    "name",
    "segment",
    "arr_due",
    "call",
    "health_score",
    "seat_utilisation",
    "milestones_hit",
    "milestones_planned",
    "champion_in_place",
    "days_since_buyer_met",
    "contacts_engaged",
    "competitor_mentioned",
    "fit_gap",
    "sponsor_reachable",
    "customer_says",
    "hours_needed",
)
CLAIM_COLUMNS = ("account_id", "name", "segment", "arr_due", "csm_forecast", "triage_call", "save_play_run", "outcome")
#: What customers on the save desk say when they give notice; price is said far more often than it is true.
STATED_REASONS = ("too expensive", "missing features", "not getting value")


# --- What the trainee is handed ------------------------------------------------------------------


def renewals_view(book: Book) -> pd.DataFrame:
    """Each account's 2025 renewal: ARR due, the CSM's call 120 days out, and what happened."""
    ren = book.renewals.merge(book.accounts[["account_id", "name", "segment", "csm"]], on="account_id", how="left")
    return plain_text(ren[list(RENEWAL_COLUMNS)]).reset_index(drop=True)


#: Pipelines already built, each kept as long as the accounts table it was built from: one check builds
#: the pipeline for the inputs, the reference and every misconception of the same book.
_BUILT = Memo()


def pipeline(book: Book) -> pd.DataFrame:
    """The renewal pipeline going into the forecast call: one row per renewal, signals only, no outcome."""
    # A copy each time: callers (and trainees' functions) may change the table they are handed.
    return _BUILT.get(book.accounts, "pipeline", lambda: _pipeline(book)).copy()


def _pipeline(book: Book) -> pd.DataFrame:
    acc = book.accounts.set_index("account_id")
    st = book.stakeholders.set_index("account_id").reindex(acc.index)
    ren = book.renewals.set_index("account_id").reindex(acc.index)
    tickets = book.tickets
    missing = tickets["category"].astype(str) == "missing feature"
    out = pd.DataFrame(index=acc.index)
    out["name"] = acc["name"]
    out["segment"] = acc["segment"]
    out["industry"] = acc["industry"]
    out["csm"] = acc["csm"]
    out["renewal_date"] = acc["renewal_date"]
    out["arr_due"] = ren["arr_due"].fillna(acc["arr_start"]).astype("int64")
    out["health_score"] = H.composite(H.account_components(book), H.VANITY_WEIGHTS).reindex(acc.index).round(1)
    out["health_score"] = out["health_score"].fillna(0.0)
    util = X.seat_utilisation(book.accounts[["account_id", "seats_purchased"]], book.usage)
    out["seat_utilisation"] = util.reindex(acc.index).fillna(0.0).round(3)
    out["milestones_hit"] = acc["milestones_hit"]
    out["milestones_planned"] = acc["milestones_planned"]
    out["onboarding_days"] = acc["onboarding_days"]
    out["champion_in_place"] = st["champion_left_on"].isna()
    out["days_since_buyer_met"] = (acc["renewal_date"] - st["buyer_last_contact"]).dt.days.fillna(999).astype("int64")
    out["contacts_engaged"] = st["contacts_engaged"].fillna(1).astype("int64")
    out["competitor_mentioned"] = ren["competitor_mentioned"].fillna(False).astype(bool)
    out["tickets"] = tickets.groupby("account_id").size().reindex(acc.index, fill_value=0).astype("int64")
    out["missing_feature_tickets"] = (
        tickets[missing].groupby("account_id").size().reindex(acc.index, fill_value=0).astype("int64")
    )
    return plain_text(out.reset_index()[list(PIPELINE_COLUMNS)])


def _unit_hash(ids: pd.Series) -> np.ndarray:
    """A fixed pseudo-random number in [0, 1) per account id (Knuth's multiplicative hash)."""
    return ((ids.to_numpy(np.uint64) * np.uint64(2654435761)) % np.uint64(2**32)).astype(float) / 2**32


def customer_says(desk: pd.DataFrame) -> pd.Series:
    """What each customer on the desk said when giving notice, per account_id.

    Mis-sold customers mostly blame missing features; everyone else says price about as often as
    anything else, which is why the stated reason alone never picks the lever.
    """
    u = _unit_hash(desk["account_id"])
    fit_gap = desk["fit_gap"].to_numpy(bool)
    said = np.where(
        fit_gap,
        np.where(u < 0.7, "missing features", "too expensive"),
        np.where(u < 0.4, "too expensive", np.where(u < 0.65, "missing features", "not getting value")),
    )
    return pd.Series(said, index=desk["account_id"].to_numpy(), dtype=object)


def save_desk(book: Book) -> pd.DataFrame:
    """Renewals the course's triage calls at-risk or lost, with fit, sponsor, what the customer says, and hours."""
    pipe = pipeline(book)
    calls = M.triage(pipe)
    desk = pipe.set_index("account_id")
    desk["call"] = calls
    desk = desk[desk["call"].isin(M.RISK_CALLS)].copy()
    keyed = desk.reset_index()
    desk["fit_gap"] = M.fit_gap(keyed)
    desk["sponsor_reachable"] = M.sponsor_reachable(keyed)
    desk["hours_needed"] = M.save_hours(desk["segment"])
    desk = desk.reset_index()
    desk["customer_says"] = customer_says(desk).to_numpy()
    return desk[list(DESK_COLUMNS)].reset_index(drop=True)


def claims(book: Book) -> pd.DataFrame:
    """Renewals the CSMs reported as saves, with the CSM's call, the signal-based call, and what happened."""
    ren = renewals_view(book).set_index("account_id")
    ren["triage_call"] = M.triage(pipeline(book))
    recorded = book.renewals.set_index("account_id")
    ren["save_play_run"] = recorded["save_play_run"].astype(bool)
    claimed = recorded["csm_claimed_save"].astype(bool)
    out = ren[claimed.reindex(ren.index).fillna(False).to_numpy(bool)].reset_index()
    return out[list(CLAIM_COLUMNS)].reset_index(drop=True)


def hours_budget(desk: pd.DataFrame) -> int:
    """The team's save hours this quarter for ``desk``: 30% of what saving every account would take."""
    return M.hours_budget(desk)


def cancelling_customer(desk: pd.DataFrame, pipeline: pd.DataFrame) -> pd.Series:
    """The written task's customer: a fit-gap account on the desk that blames missing features.

    Mid-Market first (the seeds' scenario), then any segment; biggest first. Shown with its fit clues.
    """
    gap = desk[desk["fit_gap"]]
    blames = gap[gap["customer_says"] == "missing features"]
    pool = blames if len(blames) else gap if len(gap) else desk
    mid = pool[pool["segment"] == "Mid-Market"]
    pick = (mid if len(mid) else pool).sort_values("arr_due", ascending=False, kind="stable").iloc[0]
    clues = pipeline.set_index("account_id").loc[
        pick["account_id"], ["industry", "onboarding_days", "tickets", "missing_feature_tickets"]
    ]
    return pd.concat([pick, clues])


def _renewal_inputs(book: Book) -> tuple[pd.DataFrame]:
    return (renewals_view(book),)


def _pipe_inputs(book: Book) -> tuple[pd.DataFrame]:
    return (pipeline(book),)


def _desk_inputs(book: Book) -> tuple[pd.DataFrame]:
    return (save_desk(book),)


def _plan_inputs(book: Book) -> tuple[pd.DataFrame, int]:
    desk = save_desk(book)
    return desk, M.hours_budget(desk)


def _claim_inputs(book: Book) -> tuple[pd.DataFrame]:
    return (claims(book),)


# --- Reference answers and bars (the bars need the hidden truth: grader side) -------------------------


def _churned(book: Book, ids: pd.Index) -> pd.Series:
    outcome = book.renewals.set_index("account_id")["outcome"].astype(str)
    return (outcome.reindex(ids) == "churned").astype(bool)


def triage_bar(book: Book, rule: str | None = None) -> TriageBar:
    """What a forecast must reach on ``book``: the course triage's balanced accuracy less the margin."""
    pipe = pipeline(book)
    frame = pipe.set_index("account_id").sort_index()
    churned = _churned(book, frame.index)
    reference = M.forecast_scores(M.triage(pipe), frame["arr_due"].astype(float), churned)
    return TriageBar(
        arr_due=frame["arr_due"].astype(float),
        churned=churned,
        health=frame["health_score"].astype(float),
        bar=reference["balanced_accuracy"] - TRIAGE_MARGIN,
        reference=reference,
        rule=rule,
    )


def _truth(book: Book) -> pd.DataFrame:
    """The hidden truth indexed by account_id (the judgement questions' bars need it)."""
    return S.need_truth(book).set_index("account_id")


def fit_bar(book: Book) -> FlagBar:
    """What fit-gap flags must reach on ``book``: the course rule's F1 against the truth, less the margin."""
    pipe = pipeline(book)
    ids = pd.Index(sorted(pipe["account_id"]), name="account_id")
    truth = (_truth(book)["fit"].astype(str) == "mis-sold").reindex(ids).fillna(False).astype(bool)
    course = FlagBar(truth, 0.0, 0.0).f1(M.fit_gap(pipe).reindex(ids).astype(bool))
    return FlagBar(truth=truth, bar=course - FIT_MARGIN, reference_f1=course)


def plan_bar(book: Book) -> HoursBar:
    """What a save plan must keep on ``book``: expected ARR from the truth, against the best plan possible."""
    desk, budget = _plan_inputs(book)
    value = M.save_value(desk, book.truth)
    hours = desk.set_index("account_id")["hours_needed"]
    barred = frozenset(int(i) for i in desk.loc[desk["fit_gap"], "account_id"])
    allowed = value[~value.index.isin(list(barred))]
    best = M.best_plan_value(allowed, hours, budget)
    course = float(value.reindex(M.plan(desk, budget)).sum())
    return HoursBar(
        value={int(k): float(v) for k, v in value.items()},
        hours={int(k): int(v) for k, v in hours.items()},
        budget=int(budget),
        barred=barred,
        bar=float(min(BEST_SHARE * best, COURSE_SHARE * course)),
        best=float(best),
    )


# --- Misconceptions: each produces the wrong answer from the same book ---------------------------


def _table_in_accounts(renewals: pd.DataFrame) -> pd.DataFrame:
    return M.forecast_vs_outcome(renewals.assign(arr_due=1))


def _table_from_arr_after(renewals: pd.DataFrame) -> pd.DataFrame:
    return M.forecast_vs_outcome(renewals.assign(arr_due=renewals["arr_after"]))


def _surprises_from_arr_after(renewals: pd.DataFrame) -> dict[str, float]:
    return M.surprises(renewals.assign(arr_due=renewals["arr_after"]))


def _surprises_commit_only(renewals: pd.DataFrame) -> dict[str, float]:
    return M.surprises(renewals.assign(csm_forecast=renewals["csm_forecast"].replace({"likely": "at-risk"})))


def _surprises_at_risk_as_lost(renewals: pd.DataFrame) -> dict[str, float]:
    calls = renewals["csm_forecast"].replace({"at-risk": "lost"})
    return M.surprises(renewals.assign(csm_forecast=calls))


def _triage_rule(rule: str):
    return lambda book: triage_bar(book, rule)


def _fit_any_missing_feature(pipe: pd.DataFrame) -> pd.Series:
    return pipe.set_index("account_id")["missing_feature_tickets"] > 0


def _fit_industry_only(pipe: pd.DataFrame) -> pd.Series:
    return M.fit_clues(pipe)["misfit_industry"]


def _fit_slow_only(pipe: pd.DataFrame) -> pd.Series:
    return M.fit_clues(pipe)["slow_first_value"]


def _fit_low_health(pipe: pd.DataFrame) -> pd.Series:
    return pipe.set_index("account_id")["health_score"] < H.RED_BELOW


def _plan_biggest_first(desk: pd.DataFrame, budget: int) -> list[int]:
    d = desk.set_index("account_id")
    return M.fill(d["arr_due"].sort_values(ascending=False, kind="stable").index, d["hours_needed"], budget)


def _budget_rule(rule: str):
    return lambda book: BrokenRule(rule, plan_bar(book))


def _lever_face_value(desk: pd.DataFrame) -> pd.Series:
    levers = M.lever(desk)
    said = desk.set_index("account_id")["customer_says"]
    return levers.where(said != "missing features", M.LEVERS[0])


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
            applied(_renewal_inputs, _table_in_accounts),
            "You counted renewals. A forecast is money: add up arr_due, the ARR each renewal put on the table, "
            "so one Enterprise renewal weighs what it is worth.",
        ),
        Misconception(
            "forecast_used_arr_after",
            applied(_renewal_inputs, _table_from_arr_after),
            "You added up arr_after, what was left after the renewal, so every churned renewal counts as 0 "
            "and the forecast's worst misses vanish. Use arr_due: what was at stake when the call was made.",
        ),
        Misconception(
            "surprise_used_arr_after",
            applied(_renewal_inputs, _surprises_from_arr_after),
            "You measured the surprise with arr_after. A churned renewal leaves 0 after it, so the ARR you "
            "were surprised by disappears from the count. Use arr_due.",
        ),
        Misconception(
            "surprise_commit_only",
            applied(_renewal_inputs, _surprises_commit_only),
            "You counted only renewals called commit. A 'likely' call also told leadership the money was "
            "coming: churn under either safe call is a surprise.",
        ),
        Misconception(
            "surprise_at_risk_as_lost",
            applied(_renewal_inputs, _surprises_at_risk_as_lost),
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
            applied(_pipe_inputs, _fit_any_missing_feature),
            "You flagged every account that asked for a missing feature. Most customers that fit well ask "
            "for features too; a fit gap shows when several clues agree (the industry, slow first value, "
            "and tickets that are mostly about what the product does not do).",
        ),
        Misconception(
            "fit_gap_industry_alone",
            applied(_pipe_inputs, _fit_industry_only),
            "You flagged every account in the industry the product was not built for. Many of them use it "
            "well, and mis-sold accounts turn up elsewhere too: look for two clues that agree.",
        ),
        Misconception(
            "fit_gap_slow_onboarding_alone",
            applied(_pipe_inputs, _fit_slow_only),
            "You flagged every slow onboarding. Slow first value is one clue, but plenty of good-fit accounts "
            "onboard slowly (Enterprise rollouts do); a fit gap needs a second clue that agrees.",
        ),
        Misconception(
            "fit_gap_low_health",
            applied(_pipe_inputs, _fit_low_health),
            "You flagged accounts with a red health score. Poor health says something is wrong, not that the "
            "product was the wrong buy: fit shows in the industry, the time to first value and what the "
            "customer keeps asking for.",
        ),
        Misconception(
            "save_biggest_first",
            applied(_plan_inputs, _plan_biggest_first),
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
            applied(_desk_inputs, _lever_face_value),
            "You let the customer's words pick the play: everyone who said 'missing features' got an exit. "
            "'Missing features' is often a value gap or a lost champion talking; only the fit-gap evidence "
            "makes an exit the right call.",
        ),
        Misconception(
            "every_claim_is_a_save",
            applied(_claim_inputs, _claims_all),
            "You accepted every claimed save. A renewal that was never in doubt is not a save, however hard "
            "the CSM worked: check that a save play ran, the account stayed, and the signals said at risk.",
        ),
        Misconception(
            "save_never_at_risk",
            applied(_claim_inputs, _claims_play_run),
            "You counted renewals that were never at risk. A save play ran and the account stayed, but the "
            "signals never said it might leave: it looked at risk on a technicality (one loud outage ticket, "
            "one angry survey, which is what the CSM's own call reacts to). Use triage_call: a save needs it "
            "to have been at-risk or lost.",
        ),
    )
}


# --- Edge cases for hidden tests: unusual books, each still a consistent book ---------------------

_NO_ENTERPRISE = ("no Enterprise accounts", V.without_segment("Enterprise"))


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
        points=2,
        inputs=_renewal_inputs,
        reference=applied(_renewal_inputs, M.forecast_vs_outcome),
        compare=Table(columns=M.FATES, abs=0.5, rel=0, what="a table with one row per call"),
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
        points=2,
        inputs=_renewal_inputs,
        reference=applied(_renewal_inputs, M.surprises),
        compare=Figures(keys=(M.CALLED_SAFE_CHURNED, M.CALLED_LOST_RENEWED), abs=0.5, what="two dollar figures"),
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
        points=4,
        inputs=_pipe_inputs,
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
        points=3,
        inputs=_pipe_inputs,
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
        points=4,
        inputs=_plan_inputs,
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
        points=2,
        inputs=_desk_inputs,
        reference=applied(_desk_inputs, M.lever),
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
        points=2,
        inputs=_claim_inputs,
        reference=applied(_claim_inputs, M.real_saves),
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


# --- Practice in the teaching notebook (solutions allowed) ---------------------------------------

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


LESSON = Lesson(
    assignment=ASSIGNMENT,
    seed=4404,
    questions=QUESTIONS,
    misconceptions=MISCONCEPTIONS,
    practice_questions=PRACTICE,
    accounts=2000,
    check_with_truth=True,
)
exercise = LESSON.exercise
practice = LESSON.practice


# --- Teaching helpers: the forecast audited, strategies side by side, the three scenarios -------------


def forecast_audit(book: Book) -> pd.DataFrame:
    """The CSM's login-led forecast and the signal-based triage, scored side by side on what happened."""
    pipe = pipeline(book)
    frame = pipe.set_index("account_id")
    churned = _churned(book, frame.index)
    ren = book.renewals.set_index("account_id").reindex(frame.index)
    calls = {
        "CSM's call (logins and loud tickets)": ren["csm_forecast"].astype(str),
        "health score alone": M.health_only_calls(pipe),
        "signal-based triage": M.triage(pipe),
    }
    rows = {name: M.forecast_scores(c, frame["arr_due"].astype(float), churned) for name, c in calls.items()}
    return pd.DataFrame.from_dict(rows, orient="index")


def triaged_renewals(book: Book) -> pd.DataFrame:
    """The renewals table with the signal-based triage as ``triage_call`` (for the second heatmap)."""
    ren = renewals_view(book)
    ren["triage_call"] = ren["account_id"].map(M.triage(pipeline(book))).to_numpy()
    return ren


def save_strategies(book: Book) -> pd.DataFrame:
    """Expected ARR kept as save hours are spent, for four ways of ordering the desk (needs the truth).

    One row per account worked, in each strategy's order, with the cumulative hours and kept ARR.
    """
    desk = save_desk(book)
    value = M.save_value(desk, book.truth)
    d = desk.set_index("account_id")
    ok = d[M.worth_saving(desk)]
    orders = {
        "biggest accounts first": d["arr_due"].sort_values(ascending=False, kind="stable").index,
        "loudest first (lost calls, then at-risk)": d.sort_values(
            ["call", "arr_due"], ascending=[False, False], kind="stable"
        ).index,
        "savable only, by ARR per hour": (ok["arr_due"] / ok["hours_needed"])
        .sort_values(ascending=False, kind="stable")
        .index,
    }
    frames = []
    for name, order in orders.items():
        order = list(order)
        frames.append(
            pd.DataFrame(
                {
                    "strategy": name,
                    "account_id": order,
                    "hours": d.loc[order, "hours_needed"].cumsum().to_numpy(),
                    "kept_arr": value.reindex(order).cumsum().to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def claims_audit(book: Book) -> pd.DataFrame:
    """Claimed saves with the evidence rule, the hidden truth, and how likely each was to churn unaided."""
    claim = claims(book)
    truth = _truth(book)
    out = claim.set_index("account_id")
    out["evidence_says_real"] = M.real_saves(claim)
    out["truth_says_real"] = truth["save_was_real"].reindex(out.index).astype(bool)
    out["churn_risk_unaided"] = truth["churn_risk"].reindex(out.index)
    out["risk_was_technicality"] = truth["risk_was_technicality"].reindex(out.index).astype(bool)
    return out.reset_index()


def green_dashboard_case(book: Book) -> pd.DataFrame:
    """Scenario 1: churned accounts with busy logins, a departed champion and an unmet outcome (needs the truth)."""
    found = S.green_dashboard_churn(book)
    pipe = pipeline(book)
    cols = [
        "name",
        "segment",
        "arr_due",
        "health_score",
        "seat_utilisation",
        "milestones_hit",
        "champion_in_place",
        "days_since_buyer_met",
    ]
    table = pipe.set_index("account_id").loc[found["account_id"], cols]
    table["csm_forecast"] = book.renewals.set_index("account_id")["csm_forecast"].reindex(table.index).astype(str)
    table["triage_call"] = M.triage(pipe).reindex(table.index)
    return table.sort_values("arr_due", ascending=False)


def surprise_churn(book: Book) -> pd.DataFrame:
    """Churned accounts the CSM called commit or likely, with the signal-based call and the hidden root cause."""
    raw = pipeline(book)
    pipe = raw.set_index("account_id")
    ren = book.renewals.set_index("account_id").reindex(pipe.index)
    mask = (ren["outcome"].astype(str) == "churned") & ren["csm_forecast"].astype(str).isin(M.SAFE_CALLS)
    table = pipe.loc[mask, ["name", "segment", "arr_due", "health_score", "milestones_hit", "days_since_buyer_met"]]
    table["csm_forecast"] = ren.loc[mask, "csm_forecast"].astype(str)
    table["triage_call"] = M.triage(raw).reindex(table.index)
    table["root_cause"] = _truth(book)["root_cause"].astype(str).reindex(table.index)
    return table.sort_values("arr_due", ascending=False)


def bad_fit_case(book: Book) -> pd.DataFrame:
    """Scenario 3: mis-sold accounts (truth) with the clues a CSM could see, and whether the rule flags them."""
    truth = _truth(book)
    pipe = pipeline(book)
    flags = M.fit_gap(pipe)
    clues = M.fit_clues(pipe)
    frame = pipe.set_index("account_id")
    frame = frame.join(clues)
    frame["flagged"] = flags
    frame["mis_sold"] = truth["fit"].astype(str).reindex(frame.index) == "mis-sold"
    frame["outcome"] = book.renewals.set_index("account_id")["outcome"].astype(str).reindex(frame.index)
    return frame


def fit_gap_confusion(book: Book) -> pd.DataFrame:
    """How the two-of-three-clues rule lines up with the truth: accounts by flagged and really mis-sold."""
    frame = bad_fit_case(book)
    table = pd.crosstab(
        frame["flagged"].map({True: "flagged as fit gap", False: "not flagged"}),
        frame["mis_sold"].map({True: "really mis-sold", False: "good fit"}),
    )
    return table


def churn_by_call(renewals: pd.DataFrame, call: str) -> pd.Series:
    """Share of ARR due that churned, per call (safest first)."""
    frame = M.forecast_vs_outcome(renewals, call)
    return (frame["churned"] / frame.sum(axis=1).where(frame.sum(axis=1) > 0)).fillna(0.0)
