"""Every table and column of a book: its type, unit and meaning (the data card is built from this)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One column: name, kind (int, float, bool, date, text), unit and what it means."""

    name: str
    kind: str
    unit: str
    meaning: str


@dataclass(frozen=True)
class Table:
    """One table: its name, what one row is, and its columns."""

    name: str
    row: str
    columns: tuple[Column, ...]
    hidden: bool = False

    @property
    def column_names(self) -> list[str]:
        """Column names in order."""
        return [c.name for c in self.columns]


def _c(name: str, kind: str, unit: str, meaning: str) -> Column:
    return Column(name, kind, unit, meaning)


TABLES: tuple[Table, ...] = (
    Table(
        "accounts",
        "one account that was a customer on 1 January 2025 (the start of the measured year)",
        (
            _c("account_id", "int", "", "CRM id, unique in the book"),
            _c("name", "text", "", "company name (not unique: use account_id to join)"),
            _c("segment", "text", "", "SMB, Mid-Market or Enterprise (by contract size)"),
            _c("industry", "text", "", "customer's industry"),
            _c("csm", "text", "", "the CSM who owns the account"),
            _c("contract_start", "date", "", "when the account first signed"),
            _c("renewal_date", "date", "", "the contract's 2025 renewal (its anniversary)"),
            _c("cohort", "int", "year", "the year the account first signed"),
            _c("pricing_model", "text", "", "'seat' (fixed seats) or 'usage' (tier steps up with use)"),
            _c("seats_purchased", "int", "seats", "seats in the contract on 1 January 2025"),
            _c("price_per_seat", "int", "$ per seat per year", "list price per seat"),
            _c("onboarding_days", "int", "days", "time to first value: signing to the first outcome milestone"),
            _c("milestones_planned", "int", "milestones", "milestones in the mutual success plan"),
            _c("milestones_hit", "int", "milestones", "success-plan milestones the customer has reached"),
            _c("arr_start", "int", "$", "ARR on 1 January 2025"),
            _c("expansion_arr", "int", "$", "ARR added during 2025 (upsells, usage tiers, seat true-ups)"),
            _c("contraction_arr", "int", "$", "ARR lost to downsell at renewal, account kept"),
            _c("churn_arr", "int", "$", "ARR lost because the account left"),
            _c("arr_end", "int", "$", "ARR on 31 December 2025; start + expansion - contraction - churn"),
            _c("churned", "bool", "", "the account left at its 2025 renewal"),
        ),
    ),
    Table(
        "usage",
        "one account in one month of 2025 (no rows after a churned account left)",
        (
            _c("account_id", "int", "", "joins to accounts"),
            _c("month", "date", "", "first day of the month"),
            _c("active_users", "int", "users", "distinct users active in the month"),
            _c("logins", "int", "logins", "logins in the month (activity, not value)"),
            _c("features_adopted", "int", "features of 12", "product features in regular use (adoption breadth)"),
        ),
    ),
    Table(
        "stakeholders",
        "one account's key people",
        (
            _c("account_id", "int", "", "joins to accounts"),
            _c("champion", "text", "", "day-to-day advocate for the product"),
            _c("champion_left_on", "date", "", "when the champion left the customer (empty if still there)"),
            _c("economic_buyer", "text", "", "the budget holder who signs the renewal"),
            _c("buyer_last_contact", "date", "", "last meeting with the economic buyer before the renewal"),
            _c("contacts_engaged", "int", "people", "engaged contacts; 1 means single-threaded"),
        ),
    ),
    Table(
        "tickets",
        "one support ticket opened in 2025",
        (
            _c("ticket_id", "int", "", "ticket number"),
            _c("account_id", "int", "", "joins to accounts"),
            _c("opened_on", "date", "", "date opened"),
            _c("category", "text", "", "how-to, bug, missing feature, billing or outage"),
            _c("severity", "text", "", "low, normal, high or urgent"),
            _c("sentiment", "float", "-1 to 1", "tone of the customer's messages (-1 angry, 1 delighted)"),
        ),
    ),
    Table(
        "surveys",
        "one survey answer from a user at the account",
        (
            _c("response_id", "int", "", "response number"),
            _c("account_id", "int", "", "joins to accounts"),
            _c("responded_on", "date", "", "date answered"),
            _c("survey", "text", "", "NPS (0-10, likelihood to recommend) or CSAT (1-5, satisfaction)"),
            _c("score", "int", "points", "the answer"),
        ),
    ),
    Table(
        "renewals",
        "one account's 2025 renewal",
        (
            _c("account_id", "int", "", "joins to accounts"),
            _c("renewal_date", "date", "", "renewal date"),
            _c("arr_due", "int", "$", "ARR up for renewal (start ARR plus in-year expansion)"),
            _c("csm_forecast", "text", "", "the CSM's call 120 days out: commit, likely, at-risk or lost"),
            _c("competitor_mentioned", "bool", "", "a competitor came up in renewal conversations"),
            _c("save_play_run", "bool", "", "the CSM ran a save play on the account"),
            _c("csm_claimed_save", "bool", "", "the CSM reported the renewal as a save"),
            _c("outcome", "text", "", "renewed, expanded, contracted or churned"),
            _c("arr_after", "int", "$", "ARR after the renewal (0 if churned)"),
        ),
    ),
    Table(
        "opportunities",
        "one expansion in 2025: a CSM's upsell proposal, or an automatic usage-tier step-up",
        (
            _c("opportunity_id", "int", "", "opportunity number"),
            _c("account_id", "int", "", "joins to accounts"),
            _c("created_on", "date", "", "when it was opened"),
            _c("closed_on", "date", "", "when it was won or lost"),
            _c("source", "text", "", "'CSM' (proposed by the CSM) or 'usage tier' (automatic, nobody sold it)"),
            _c("use_case", "text", "", "the proposed next use case"),
            _c("sponsor_interest", "bool", "", "a sponsor said they were interested"),
            _c("sponsor_funded", "bool", "", "a sponsor confirmed budget for it"),
            _c("seat_utilisation", "float", "share", "active users / seats purchased when it was proposed"),
            _c("amount_arr", "int", "$", "ARR proposed (won amount if won)"),
            _c("stage", "text", "", "won or lost"),
        ),
    ),
    Table(
        "new_logos",
        "one new customer signed during 2025 (not part of the starting book)",
        (
            _c("account_id", "int", "", "CRM id"),
            _c("name", "text", "", "company name"),
            _c("segment", "text", "", "SMB, Mid-Market or Enterprise"),
            _c("signed_on", "date", "", "signing date"),
            _c("arr", "int", "$", "ARR signed"),
        ),
    ),
    Table(
        "truth",
        "what really drove one account, hidden from CSMs and from graded trainee code",
        (
            _c("account_id", "int", "", "joins to accounts"),
            _c("fit", "text", "", "'good fit' or 'mis-sold' (core workflow the product was never built for)"),
            _c("outcome_attained", "bool", "", "the customer reached the business outcome it bought"),
            _c("time_to_value", "text", "", "'fast' (first value within 60 days) or 'slow'"),
            _c("churn_risk", "float", "probability", "chance of churn at renewal had nobody intervened"),
            _c("savable", "bool", "", "a save effort could work: good fit and a reachable sponsor"),
            _c("root_cause", "text", "", "why it churned or contracted ('none' if neither)"),
            _c("value_proven", "bool", "", "adoption (70%+ of seats) and outcome both proven"),
            _c("real_use_case", "bool", "", "a genuine next use case exists"),
            _c("risk_was_technicality", "bool", "", "looked at risk on one loud signal but was never going to churn"),
            _c("save_was_real", "bool", "", "a claimed save that really turned a likely churn into a renewal"),
        ),
        hidden=True,
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

PANDAS_DTYPES: dict[str, str] = {
    "int": "int64",
    "float": "float64",
    "bool": "bool",
    "date": "datetime64[s]",
    "text": "category",
}
