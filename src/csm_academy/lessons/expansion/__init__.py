"""Module 3, expansion qualification: the pipeline trainees work from, the right answers, the wrong ones we know.

Trainees see only what a CSM can see: the CRM's expansion opportunities with the evidence recorded when
each was proposed, product usage, renewals and the expansion ledger. The hidden truth (whether value was
really proven, whether the use case was real) never reaches them; the references here use only the book's
records, so the same answer is right on every book.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from csm_academy import constants as C
from csm_academy.book import variants as V
from csm_academy.book.book import Book
from csm_academy.lessons.expansion.compare import ChoiceBar
from csm_academy.lessons.views import applied, plain_text
from csm_academy.metrics import expansion as M
from csm_academy.questions.compare import BrokenRule, Choice, Figures, Label, Number, PerRow, Table
from csm_academy.questions.lesson import Lesson, pick
from csm_academy.questions.question import Misconception, Question

ASSIGNMENT = "03_expansion_qualification"
#: The judgement question's bar: keep this share of the durable ARR the best choice of workable
#: opportunities would have kept...
BEST_SHARE = 0.70
#: ...or, on a book where luck puts that out of reach even for the course's own choice, this share of
#: what the course's choice keeps. Over 200 generated books of 300 accounts the cap decided 1 in 100
#: (3 in 100 without Enterprise accounts); working every pursue before any maybe passed on about 3 in 10.
COURSE_SHARE = 0.90

ACCOUNT_COLUMNS = (
    "account_id",
    "name",
    "segment",
    "csm",
    "pricing_model",
    "seats_purchased",
    "milestones_hit",
    "milestones_planned",
)
PIPELINE_COLUMNS = (
    "opportunity_id",
    "account_id",
    "name",
    "segment",
    "csm",
    "created_on",
    "use_case",
    "sponsor_interest",
    "sponsor_funded",
    "amount_arr",
    "seats_purchased",
    "active_users",
    "logins",
    "features_adopted",
    "milestones_hit",
    "milestones_planned",
)
SHEET_COLUMNS = (
    "opportunity_id",
    "account_id",
    "name",
    "amount_arr",
    "value_proven",
    "real_use_case",
    "sponsor_interest",
    "sponsor_funded",
)
LEDGER_COLUMNS = ("opportunity_id", "account_id", "csm", "closed_on", "source", "use_case", "amount_arr", "stage")
RENEWAL_COLUMNS = ("account_id", "renewal_date", "arr_due", "outcome", "arr_after")


# --- What the trainee is handed ------------------------------------------------------------------


def accounts_view(book: Book) -> pd.DataFrame:
    """The starting book's accounts: who owns them, how they are priced, seats bought, plan milestones."""
    return plain_text(book.accounts[list(ACCOUNT_COLUMNS)]).reset_index(drop=True)


def usage_view(book: Book) -> pd.DataFrame:
    """Monthly product usage per account in 2025: active users, logins and features adopted."""
    return book.usage[["account_id", "month", "active_users", "logins", "features_adopted"]].reset_index(drop=True)


def _usage_at_proposal(book: Book, opps: pd.DataFrame) -> pd.DataFrame:
    """Logins and features adopted in the month each opportunity was opened (clipped to the months on record)."""
    use = book.usage
    first = np.datetime64(C.YEAR_START.isoformat(), "M")
    opened = np.maximum(opps["created_on"].to_numpy().astype("datetime64[M]"), first)
    last_month = use.groupby("account_id")["month"].max()
    latest = opps["account_id"].map(last_month).to_numpy().astype("datetime64[M]")
    month = np.where(np.isnat(latest), opened, np.minimum(opened, latest)).astype("datetime64[s]")
    keys = pd.DataFrame({"opportunity_id": opps["opportunity_id"].to_numpy(), "account_id": opps["account_id"]})
    keys["month"] = month
    found = keys.merge(
        use[["account_id", "month", "logins", "features_adopted"]], on=["account_id", "month"], how="left"
    )
    # An account with no usage on record logged nobody in and adopted nothing.
    return found.fillna({"logins": 0, "features_adopted": 0}).astype({"logins": "int64", "features_adopted": "int64"})


def _pipeline(book: Book, with_stage: bool) -> pd.DataFrame:
    opp = book.opportunities
    csm = opp[opp["source"].astype(str) == "CSM"].reset_index(drop=True)
    acc = book.accounts[
        ["account_id", "name", "segment", "csm", "seats_purchased", "milestones_hit", "milestones_planned"]
    ]
    out = csm.merge(acc, on="account_id", how="left", validate="many_to_one")
    # The CRM records utilisation at proposal (active users / seats purchased); show it as the head count.
    out["active_users"] = np.rint(out["seat_utilisation"] * out["seats_purchased"]).astype("int64")
    seen = _usage_at_proposal(book, csm)
    out["logins"] = seen["logins"].to_numpy()
    out["features_adopted"] = seen["features_adopted"].to_numpy()
    columns = list(PIPELINE_COLUMNS) + (["stage"] if with_stage else [])
    return plain_text(out[columns]).sort_values("opportunity_id", kind="stable").reset_index(drop=True)


def pipeline(book: Book) -> pd.DataFrame:
    """The CSM expansion pipeline with the evidence recorded when each was proposed (no result columns)."""
    return _pipeline(book, with_stage=False)


def closed_pipeline(book: Book) -> pd.DataFrame:
    """The same opportunities once closed: won or lost, with whether value was proven at proposal."""
    out = _pipeline(book, with_stage=True)
    out["value_proven"] = out["opportunity_id"].map(M.value_proven(out)).astype(bool).to_numpy()
    return out


def qualification_sheet(book: Book) -> pd.DataFrame:
    """Per opportunity: value proven and real use case (already judged), and the sponsor's two answers."""
    pipe = pipeline(book)
    out = M.qualify(pipe)
    return out[list(SHEET_COLUMNS)].reset_index(drop=True)


def renewals_view(book: Book) -> pd.DataFrame:
    """Each account's next renewal after the expansion: ARR due, the outcome and ARR after it."""
    return plain_text(book.renewals[list(RENEWAL_COLUMNS)]).reset_index(drop=True)


def expansion_ledger(book: Book) -> pd.DataFrame:
    """Every expansion opportunity of 2025, CSM upsells and automatic usage-tier step-ups, with its CSM."""
    owners = book.accounts[["account_id", "csm"]]
    out = book.opportunities.merge(owners, on="account_id", how="left", validate="many_to_one")
    return plain_text(out[list(LEDGER_COLUMNS)]).reset_index(drop=True)


def _util_inputs(book: Book) -> tuple[pd.DataFrame, pd.DataFrame]:
    return accounts_view(book), usage_view(book)


def _pipe_inputs(book: Book) -> tuple[pd.DataFrame]:
    return (pipeline(book),)


def _sheet_inputs(book: Book) -> tuple[pd.DataFrame]:
    return (qualification_sheet(book),)


def _renewal_inputs(book: Book) -> tuple[pd.DataFrame, pd.DataFrame]:
    return closed_pipeline(book), renewals_view(book)


def _ledger_inputs(book: Book) -> tuple[pd.DataFrame]:
    return (expansion_ledger(book),)


def quarter_capacity(pipe: pd.DataFrame) -> int:
    """How many expansion motions the team can run this quarter: a fifth of the pipeline, at least one."""
    return M.capacity_for(pipe)


def _capacity_inputs(book: Book) -> tuple[pd.DataFrame, int]:
    pipe = pipeline(book)
    return pipe, quarter_capacity(pipe)


# --- Reference answers ---------------------------------------------------------------------------


def utilisation_of(accounts: pd.DataFrame, usage: pd.DataFrame) -> pd.Series:
    """Mean monthly active users / seats purchased, per account_id."""
    return M.seat_utilisation(accounts, usage)


def verdict_sheet_of(sheet: pd.DataFrame) -> pd.Series:
    """pursue / maybe / no per opportunity_id, from the sheet's value_proven, real_use_case, sponsor_funded."""
    frame = sheet.set_index("opportunity_id")
    count = frame["value_proven"].astype(int) + frame["real_use_case"].astype(int) + frame["sponsor_funded"].astype(int)
    return M.verdicts(count)


def choice_bar(book: Book) -> ChoiceBar:
    """What a choice of motions is judged against on this book (needs the closed outcomes: grader side)."""
    pipe, capacity = _capacity_inputs(book)
    durable = M.durable_arr(closed_pipeline(book), renewals_view(book))
    qualified = M.qualify(pipe)
    barred = frozenset(int(i) for i in qualified.loc[qualified["verdict"] == "no", "opportunity_id"])
    workable = durable[~durable.index.isin(list(barred))]
    course = M.durable_of(M.choose_motions(pipe, capacity), durable)
    bar = min(BEST_SHARE * M.best_durable(workable, capacity), COURSE_SHARE * course)
    return ChoiceBar(
        durable={int(k): float(v) for k, v in durable.items()}, capacity=capacity, barred=barred, bar=float(bar)
    )


# --- Misconceptions: each produces the wrong answer from the same book ---------------------------


def _util_against_active(accounts: pd.DataFrame, usage: pd.DataFrame) -> pd.Series:
    peak = usage.groupby("account_id")["active_users"].agg(["mean", "max"])
    out = (peak["mean"] / peak["max"]).reindex(accounts["account_id"]).fillna(0.0)
    return out.astype(float)


def _util_summed(accounts: pd.DataFrame, usage: pd.DataFrame) -> pd.Series:
    total = usage.groupby("account_id")["active_users"].sum()
    seats = accounts.set_index("account_id")["seats_purchased"]
    return (total.reindex(seats.index).fillna(0.0) / seats).astype(float)


def _milestones_ok(pipe: pd.DataFrame) -> pd.Series:
    return M.outcome_attainment(pipe) >= M.OUTCOME_BAR


def _value_from_logins(pipe: pd.DataFrame) -> pd.Series:
    frame = pipe.set_index("opportunity_id")
    return (frame["logins"] / frame["seats_purchased"] >= M.ADOPTION_BAR) & _milestones_ok(pipe)


def _value_adoption_only(pipe: pd.DataFrame) -> pd.Series:
    return M.utilisation_at_proposal(pipe) >= M.ADOPTION_BAR


def _count_with_interest(pipe: pd.DataFrame) -> pd.Series:
    interest = pipe.set_index("opportunity_id")["sponsor_interest"].astype(int)
    return M.value_proven(pipe).astype(int) + M.real_use_case(pipe).astype(int) + interest


def _count_any_use_case(pipe: pd.DataFrame) -> pd.Series:
    return M.value_proven(pipe).astype(int) + 1 + M.sponsor_funds(pipe).astype(int)


def _sheet_count(sheet: pd.DataFrame) -> pd.Series:
    frame = sheet.set_index("opportunity_id")
    return frame["value_proven"].astype(int) + frame["real_use_case"].astype(int) + frame["sponsor_funded"].astype(int)


def _verdict_two_is_yes(sheet: pd.DataFrame) -> pd.Series:
    return _sheet_count(sheet).map(lambda n: "pursue" if n >= 2 else "maybe" if n == 1 else "no")


def _verdict_one_is_maybe(sheet: pd.DataFrame) -> pd.Series:
    return _sheet_count(sheet).map(lambda n: "pursue" if n == 3 else "maybe" if n >= 1 else "no")


def _contraction_with_lost(closed: pd.DataFrame, renewals: pd.DataFrame) -> dict[str, float]:
    # The reference keeps won rows only; marking every proposal won reproduces the mistake exactly.
    return M.contraction_rates(closed.assign(stage="won"), renewals)


def _contraction_with_churn(closed: pd.DataFrame, renewals: pd.DataFrame) -> dict[str, float]:
    lost_at_renewal = renewals.assign(outcome=renewals["outcome"].replace({"churned": "contracted"}))
    return M.contraction_rates(closed, lost_at_renewal)


def _all_credited_to_csm(ledger: pd.DataFrame) -> pd.DataFrame:
    return M.expansion_by_source(ledger.assign(source="CSM"))


def _lost_proposals_credited(ledger: pd.DataFrame) -> pd.DataFrame:
    return M.expansion_by_source(ledger.assign(stage="won"))


def _verdict_before_size(pipe: pd.DataFrame, capacity: int) -> list[int]:
    frame = M.qualify(pipe)
    workable = frame[frame["criteria_met"] >= 2]
    ranked = workable.sort_values(["criteria_met", "amount_arr"], ascending=False, kind="stable")
    return [int(i) for i in ranked["opportunity_id"].head(capacity)]


def _rule(rule: str):
    return lambda book: BrokenRule(rule, choice_bar(book))


MISCONCEPTIONS: dict[str, Misconception] = {
    m.id: m
    for m in (
        Misconception(
            "utilisation_against_active_users",
            applied(_util_inputs, _util_against_active),
            "You measured utilisation against the account's own active users (its busiest month), so almost "
            "every account looks fully used. Utilisation asks how much of what the customer pays for is in "
            "use: divide by seats_purchased.",
        ),
        Misconception(
            "utilisation_summed_over_months",
            applied(_util_inputs, _util_summed),
            "You added up active users across the months, so the same people are counted up to twelve times. "
            "Take the average month's active users, then divide by seats_purchased.",
        ),
        Misconception(
            "logins_as_proof_of_value",
            applied(_pipe_inputs, _value_from_logins),
            "You measured adoption with logins. Logins are activity, not value: a few heavy users can log in "
            "hundreds of times while most seats sit empty. Adoption is active users divided by seats purchased.",
        ),
        Misconception(
            "adoption_without_outcome",
            applied(_pipe_inputs, _value_adoption_only),
            "You counted adoption alone as proof of value. Busy seats are half the proof: the customer must "
            "also be reaching the outcome it bought (60% or more of its success-plan milestones).",
        ),
        Misconception(
            "sponsor_interest_as_funding",
            applied(_pipe_inputs, _count_with_interest),
            "You counted sponsor interest as the third criterion. Interest is a conversation; the criterion is "
            "a sponsor who will fund it: count only opportunities where sponsor_funded is True.",
        ),
        Misconception(
            "any_use_case_counts",
            applied(_pipe_inputs, _count_any_use_case),
            "You gave every opportunity the use-case criterion. More seats for the same team, a support add-on "
            "or a tier upgrade is not a new use case: only a new team, region or workflow counts.",
        ),
        Misconception(
            "two_of_three_is_yes",
            applied(_sheet_inputs, _verdict_two_is_yes),
            "You called two of three a yes. Two of three is a maybe: something the account still lacks (value, "
            "a use case or funding) has to be closed before you pitch. Only three of three is a pursue.",
        ),
        Misconception(
            "one_of_three_is_maybe",
            applied(_sheet_inputs, _verdict_one_is_maybe),
            "You called one criterion out of three a maybe. One or none is a no: the account has not earned "
            "an expansion yet, so the motion is adoption work, not a pitch.",
        ),
        Misconception(
            "contraction_counts_lost_proposals",
            applied(_renewal_inputs, _contraction_with_lost),
            "You included proposals that were lost. An upsell the customer never bought cannot be clawed back: "
            "keep only opportunities whose stage is won.",
        ),
        Misconception(
            "contraction_counts_churn",
            applied(_renewal_inputs, _contraction_with_churn),
            "You counted churned accounts as contractions. Contraction means the customer stayed on a smaller "
            "contract; churn is a different fate. Count only renewals whose outcome is contracted.",
        ),
        Misconception(
            "automatic_credited_to_csm",
            applied(_ledger_inputs, _all_credited_to_csm),
            "You credited the usage tiers' automatic step-ups to the CSMs. Nobody sold those: they happen when "
            "use outgrows the contract. Split won ARR by source: 'CSM' is influenced, 'usage tier' is automatic.",
        ),
        Misconception(
            "lost_proposals_credited",
            applied(_ledger_inputs, _lost_proposals_credited),
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
            applied(_capacity_inputs, _verdict_before_size),
            "You worked every pursue before any maybe, however small. The verdict says how likely a deal is "
            "to hold; the amount says how much is at stake. Rank the workable ones by amount times how much "
            "of such deals usually holds (about 85% for a pursue, about half for a maybe).",
        ),
    )
}


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


_NO_ENTERPRISE = ("no Enterprise accounts", V.without_segment("Enterprise"))

QUESTIONS: tuple[Question, ...] = (
    Question(
        qid="q1_seat_utilisation",
        answer="seat_utilisation",
        title="Q1 Seat utilisation",
        points=2,
        inputs=_util_inputs,
        reference=applied(_util_inputs, utilisation_of),
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
        points=2,
        inputs=_pipe_inputs,
        reference=applied(_pipe_inputs, M.value_proven),
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
        points=2,
        inputs=_pipe_inputs,
        reference=applied(_pipe_inputs, M.criteria_met),
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
        points=2,
        inputs=_sheet_inputs,
        reference=applied(_sheet_inputs, verdict_sheet_of),
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
        points=3,
        inputs=_renewal_inputs,
        reference=applied(_renewal_inputs, M.contraction_rates),
        compare=Figures(keys=(M.WITHOUT, M.WITH), abs=1e-6, what="two shares"),
        misconceptions=pick(MISCONCEPTIONS, "contraction_counts_lost_proposals", "contraction_counts_churn"),
        hints=(
            "Only won upsells reached the contract. Join them to renewals on account_id and look at the outcome.",
            "Among won rows, the share whose renewal outcome is 'contracted', separately where value_proven is "
            f"False and True: return {{'{M.WITHOUT}': ..., '{M.WITH}': ...}}.",
        ),
        wrong="Those rates do not match. Check which opportunities you kept, which outcome you counted, and how "
        "you split them.",
        edge_cases=(_NO_ENTERPRISE,),
    ),
    Question(
        qid="q6_expansion_by_source",
        answer="expansion_by_source",
        title="Q6 Who moved the expansion? CSM-influenced and automatic ARR per CSM",
        points=2,
        inputs=_ledger_inputs,
        reference=applied(_ledger_inputs, M.expansion_by_source),
        compare=Table(columns=(M.CSM_INFLUENCED, M.AUTOMATIC), abs=0.5, rel=0, what="a table with one row per CSM"),
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
        points=4,
        inputs=_capacity_inputs,
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


# --- Practice in the teaching notebook (solutions allowed) ---------------------------------------

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


LESSON = Lesson(
    assignment=ASSIGNMENT,
    seed=3300,
    questions=QUESTIONS,
    misconceptions=MISCONCEPTIONS,
    practice_questions=PRACTICE,
)
exercise = LESSON.exercise
practice = LESSON.practice


# --- Teaching helpers: reasons in words, strategies side by side ---------------------------------


def reasons(qualified: pd.DataFrame) -> list[str]:
    """One sentence per opportunity of a ``qualify``-ed pipeline: each criterion's evidence and the verdict."""
    lines = []
    for row in qualified.itertuples(index=False):
        util = row.active_users / row.seats_purchased
        value = (
            f"value {'proven' if row.value_proven else 'not proven'} ({util:.0%} of seats in use, "
            f"{row.milestones_hit} of {row.milestones_planned} milestones)"
        )
        use = f"{'a real' if row.real_use_case else 'no new'} use case ({row.use_case})"
        if row.sponsor_funded:
            money = "sponsor funded"
        elif row.sponsor_interest:
            money = "sponsor interested but no budget"
        else:
            money = "no sponsor"
        lines.append(
            f"#{row.opportunity_id} {row.name}, {row.amount_arr:,} dollars: {value}; {use}; {money}. "
            f"{row.criteria_met} of 3: {row.verdict}."
        )
    return lines


def strategies(book: Book) -> pd.DataFrame:
    """Three ways to spend a quarter's capacity on this book, and what each kept after the next renewal.

    ``arr_given_back`` is what the accounts whose upsell was won gave back at that renewal: the contraction,
    or everything that was due if the account churned.
    """
    pipe, capacity = _capacity_inputs(book)
    closed = closed_pipeline(book)
    renewals = renewals_view(book)
    durable = M.durable_arr(closed, renewals)
    frame = M.next_renewal(M.qualify(closed), renewals).set_index("opportunity_id")
    won = frame["stage"] == "won"
    given_back = np.where(frame["outcome"] == "churned", frame["arr_due"], frame["arr_due"] - frame["arr_after"])
    frame["given_back"] = np.where(won, np.clip(given_back, 0, None), 0)
    biggest = [int(i) for i in pipe.nlargest(capacity, "amount_arr")["opportunity_id"]]
    choices = {
        "order-taking: biggest amounts first": biggest,
        "every pursue first, then maybes": _verdict_before_size(pipe, capacity),
        "qualified, by expected durable ARR": M.choose_motions(pipe, capacity),
    }
    rows = {}
    for name, chosen in choices.items():
        picked = frame.loc[chosen]
        rows[name] = {
            "motions": len(chosen),
            "on_a_no": int((picked["verdict"] == "no").sum()),
            "lost": int((picked["stage"] == "lost").sum()),
            "arr_proposed": int(picked["amount_arr"].sum()),
            "arr_given_back": int(picked["given_back"].sum()),
            "durable_arr": int(durable.loc[chosen].sum()),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


UTILISATION_BANDS = (0.0, 0.3, 0.5, 0.7, 0.9, np.inf)
UTILISATION_LABELS = ("under 30%", "30-50%", "50-70%", "70-90%", "90% and up")


def won_upsells(book: Book) -> pd.DataFrame:
    """Won CSM upsells with utilisation at proposal, the verdict, the next renewal and the ARR that held."""
    closed = M.qualify(closed_pipeline(book))
    renewals = renewals_view(book)
    durable = M.durable_arr(closed, renewals)
    won = M.next_renewal(closed[closed["stage"] == "won"], renewals)
    won["utilisation"] = won["active_users"] / won["seats_purchased"]
    won["durable_arr"] = won["opportunity_id"].map(durable).to_numpy()
    return won.reset_index(drop=True)


def outcomes_by_utilisation(book: Book) -> pd.DataFrame:
    """Per utilisation band at proposal: how many upsells were won and the share held, contracted, churned."""
    won = won_upsells(book)
    band = pd.cut(won["utilisation"], list(UTILISATION_BANDS), right=False, labels=list(UTILISATION_LABELS))
    fate = won["outcome"].replace({"renewed": "held", "expanded": "held"})
    table = pd.crosstab(band, fate, normalize="index").reindex(columns=["held", "contracted", "churned"], fill_value=0)
    table["upsells"] = band.value_counts().reindex(table.index).astype(int)
    return table


def pipeline_by_verdict(book: Book) -> pd.DataFrame:
    """Per verdict: opportunities, ARR proposed, ARR that proved durable, and the share that held."""
    closed = M.qualify(closed_pipeline(book))
    closed["durable"] = closed["opportunity_id"].map(M.durable_arr(closed, renewals_view(book))).to_numpy()
    grouped = closed.groupby("verdict")
    table = pd.DataFrame(
        {
            "opportunities": grouped.size(),
            "arr_proposed": grouped["amount_arr"].sum(),
            "arr_durable": grouped["durable"].sum(),
        }
    ).reindex([v for v in M.VERDICTS if v in grouped.groups])
    table["share_held"] = table["arr_durable"] / table["arr_proposed"]
    return table


def logins_versus_value(book: Book) -> pd.DataFrame:
    """Share of accounts that churned or contracted at renewal, by busy logins and by proven value."""
    accounts, usage = accounts_view(book), usage_view(book)
    frame = accounts.set_index("account_id")
    utilisation = M.seat_utilisation(accounts, usage)
    logins_per_seat = (usage.groupby("account_id")["logins"].mean() / frame["seats_purchased"]).fillna(0.0)
    proven = (utilisation >= M.ADOPTION_BAR) & (frame["milestones_hit"] / frame["milestones_planned"] >= M.OUTCOME_BAR)
    outcome = book.renewals.set_index("account_id")["outcome"].astype(str)
    table = pd.DataFrame(
        {
            "logins": np.where(logins_per_seat >= logins_per_seat.median(), "busy logins", "quiet logins"),
            "value": np.where(proven, "value proven", "value not proven"),
            "lost": outcome.reindex(frame.index).isin(["churned", "contracted"]).to_numpy(),
        },
        index=frame.index,
    )
    out = table.groupby(["logins", "value"])["lost"].agg(accounts="size", churned_or_contracted="mean")
    return out.unstack("value")
