"""Expansion qualification: seat utilisation, the three criteria, the verdict, and what proved durable.

The rule the course teaches ("earn the right to expand"): pursue an expansion only when value is proven
(adoption and outcome), there is a real next use case, and a sponsor will fund it. Three of three is a
yes, two is a maybe, one or none is a no.

Every function takes plain DataFrames with the columns of the views in ``csm_academy.lessons.expansion``,
so the same code serves the teaching notebook, the graded exercise's reference answers and the tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

#: Adoption bar: share of purchased seats in use when the expansion is proposed.
ADOPTION_BAR = 0.70
#: Outcome bar: share of the mutual success plan's milestones the customer has reached (5 of 8).
OUTCOME_BAR = 0.60
VERDICTS: tuple[str, ...] = ("pursue", "maybe", "no")
#: Share of proposed ARR still there after the next renewal, by verdict, rounded: a 20,000-account book
#: (seed 2025) measures 86%, 46% and 20%. A rule of thumb for expected durable ARR; ``hold_rates``
#: measures it on any book.
HOLD_RATE: dict[str, float] = {"pursue": 0.85, "maybe": 0.50, "no": 0.20}
#: Rank workable opportunities by amount times these weights: a 'no' is never pitched (its motion is an
#: adoption sprint), and a 'maybe' counts for what it usually holds relative to a 'yes'.
WORK_WEIGHT: dict[str, float] = {"pursue": HOLD_RATE["pursue"], "maybe": HOLD_RATE["maybe"], "no": 0.0}
WITHOUT, WITH = "without proven value", "with proven value"
CSM_INFLUENCED, AUTOMATIC = "csm_influenced", "automatic"


# --- Evidence of value ----------------------------------------------------------------------------


def seat_utilisation(accounts: pd.DataFrame, usage: pd.DataFrame) -> pd.Series:
    """Mean monthly active users over the months on record, divided by seats purchased, per account."""
    active = usage.groupby("account_id")["active_users"].mean()
    seats = accounts.set_index("account_id")["seats_purchased"]
    # An account with no usage on record had nobody active: 0, not a missing value.
    out = (active.reindex(seats.index).fillna(0.0) / seats).astype(float)
    out.name = "seat_utilisation"
    return out


def utilisation_at_proposal(pipeline: pd.DataFrame) -> pd.Series:
    """Active users when the expansion was proposed, divided by seats purchased, per opportunity."""
    frame = pipeline.set_index("opportunity_id")
    return (frame["active_users"] / frame["seats_purchased"]).astype(float)


def outcome_attainment(pipeline: pd.DataFrame) -> pd.Series:
    """Share of the success plan's milestones the customer has hit, per opportunity."""
    frame = pipeline.set_index("opportunity_id")
    return (frame["milestones_hit"] / frame["milestones_planned"]).astype(float)


# --- The three criteria and the verdict -----------------------------------------------------------


def value_proven(pipeline: pd.DataFrame) -> pd.Series:
    """Adoption (70%+ of seats in use) and outcome (60%+ of milestones hit), both, per opportunity."""
    adopted = utilisation_at_proposal(pipeline) >= ADOPTION_BAR
    attained = outcome_attainment(pipeline) >= OUTCOME_BAR
    return (adopted & attained).rename("value_proven")


def real_use_case(pipeline: pd.DataFrame) -> pd.Series:
    """A genuine next use case: a new team, region or workflow, not more of the same, per opportunity."""
    frame = pipeline.set_index("opportunity_id")
    return frame["use_case"].astype(str).str.startswith("New ").rename("real_use_case")


def sponsor_funds(pipeline: pd.DataFrame) -> pd.Series:
    """A sponsor has confirmed budget (interest alone does not count), per opportunity."""
    return pipeline.set_index("opportunity_id")["sponsor_funded"].astype(bool).rename("sponsor_funds")


def criteria_met(pipeline: pd.DataFrame) -> pd.Series:
    """How many of the three criteria each opportunity meets (0 to 3)."""
    count = (
        value_proven(pipeline).astype(int) + real_use_case(pipeline).astype(int) + sponsor_funds(pipeline).astype(int)
    )
    return count.astype("int64").rename("criteria_met")


def verdict_of(count: int) -> str:
    """Three of three is a yes (pursue), two a maybe, one or none a no."""
    return "pursue" if count >= 3 else "maybe" if count == 2 else "no"


def verdicts(counts: pd.Series) -> pd.Series:
    """The verdict for each count of criteria met, keeping the index."""
    return counts.map(verdict_of).astype(object).rename("verdict")


def qualify(pipeline: pd.DataFrame) -> pd.DataFrame:
    """The pipeline with each criterion, the count and the verdict added as columns."""
    out = pipeline.copy()
    ids = out["opportunity_id"]
    out["value_proven"] = ids.map(value_proven(pipeline)).astype(bool).to_numpy()
    out["real_use_case"] = ids.map(real_use_case(pipeline)).astype(bool).to_numpy()
    out["criteria_met"] = ids.map(criteria_met(pipeline)).astype("int64").to_numpy()
    out["verdict"] = out["criteria_met"].map(verdict_of)
    return out


# --- What happened at the next renewal ------------------------------------------------------------


def next_renewal(closed: pd.DataFrame, renewals: pd.DataFrame) -> pd.DataFrame:
    """Each opportunity with its account's next renewal: outcome, ARR due and ARR after."""
    ren = renewals[["account_id", "outcome", "arr_due", "arr_after"]].copy()
    ren["outcome"] = ren["outcome"].astype(str)
    return closed.merge(ren, on="account_id", how="left", validate="many_to_one")


def contraction_rates(closed: pd.DataFrame, renewals: pd.DataFrame) -> dict[str, float]:
    """Share of won upsells whose account contracted at its next renewal, without and with proven value.

    ``closed`` holds CSM opportunities with ``stage`` and ``value_proven``. Churn is a different fate and
    is not counted as contraction; lost proposals never reached the customer's contract and are left out.
    """
    won = next_renewal(closed[closed["stage"] == "won"], renewals)
    contracted = won["outcome"] == "contracted"
    proven = won["value_proven"].astype(bool)
    return {
        WITHOUT: _share(contracted[~proven]),
        WITH: _share(contracted[proven]),
    }


def _share(flags: pd.Series) -> float:
    if len(flags) == 0:
        raise ValueError("no won upsells in this group, so its contraction rate is undefined")
    return float(flags.mean())


def durable_arr(closed: pd.DataFrame, renewals: pd.DataFrame) -> pd.Series:
    """ARR each CSM opportunity left on the books after the account's next renewal, per opportunity.

    A lost proposal left nothing; a won upsell into an account that churned left nothing; a won upsell
    into an account that contracted kept its amount minus the contraction (the downsell claws back the
    upsell first, never below zero); any other won upsell kept all of it.
    """
    frame = next_renewal(closed, renewals)
    contraction = np.where(frame["outcome"] == "contracted", (frame["arr_due"] - frame["arr_after"]).clip(lower=0), 0)
    kept = (frame["amount_arr"] - contraction).clip(lower=0)
    held = (frame["stage"] == "won") & (frame["outcome"] != "churned")
    return pd.Series(np.where(held, kept, 0).astype(float), index=frame["opportunity_id"].to_numpy(), name="durable")


def hold_rates(closed: pd.DataFrame, renewals: pd.DataFrame) -> pd.Series:
    """Share of proposed ARR that proved durable, per verdict (``closed`` carries a ``verdict`` column)."""
    durable = durable_arr(closed, renewals)
    frame = closed.assign(durable=closed["opportunity_id"].map(durable).to_numpy())
    sums = frame.groupby("verdict")[["amount_arr", "durable"]].sum()
    return (sums["durable"] / sums["amount_arr"]).reindex([v for v in VERDICTS if v in sums.index])


# --- Attribution: who moved the expansion ---------------------------------------------------------


def expansion_by_source(opportunities: pd.DataFrame) -> pd.DataFrame:
    """Won expansion ARR per CSM, split into CSM-influenced upsells and automatic usage-tier step-ups.

    One row per CSM with at least one won opportunity; ``opportunities`` carries a ``csm`` column.
    """
    won = opportunities[opportunities["stage"].astype(str) == "won"]
    plain = pd.DataFrame(
        {"csm": won["csm"].astype(str), "source": won["source"].astype(str), "amount_arr": won["amount_arr"]}
    )
    table = plain.pivot_table(index="csm", columns="source", values="amount_arr", aggfunc="sum", fill_value=0)
    out = pd.DataFrame(
        {
            CSM_INFLUENCED: table.get("CSM", pd.Series(0, index=table.index)),
            AUTOMATIC: table.get("usage tier", pd.Series(0, index=table.index)),
        }
    ).astype(float)
    out.index.name = "csm"
    return out.sort_index()


def nrr_with_and_without_automatic(accounts: pd.DataFrame, automatic: pd.Series) -> pd.DataFrame:
    """NRR per CSM as reported, and with automatic usage-tier expansion taken out (``automatic`` by account)."""
    frame = accounts.assign(automatic=accounts["account_id"].map(automatic).fillna(0).to_numpy())
    sums = frame.groupby(frame["csm"].astype(str))[
        ["arr_start", "expansion_arr", "contraction_arr", "churn_arr", "automatic"]
    ].sum()
    kept = sums["arr_start"] - sums["contraction_arr"] - sums["churn_arr"]
    out = pd.DataFrame(
        {
            "nrr_reported": (kept + sums["expansion_arr"]) / sums["arr_start"],
            "nrr_csm_influenced": (kept + sums["expansion_arr"] - sums["automatic"]) / sums["arr_start"],
        }
    )
    out["inflation"] = out["nrr_reported"] - out["nrr_csm_influenced"]
    return out


# --- The judgement: which opportunities to work with the capacity you have ------------------------


def capacity_for(pipeline: pd.DataFrame) -> int:
    """A quarter's capacity for expansion motions: a fifth of the open pipeline, at least one."""
    return max(1, len(pipeline) // 5)


def choose_motions(pipeline: pd.DataFrame, capacity: int) -> list[int]:
    """Opportunity ids to work: never a 'no', then by expected durable ARR (amount times hold weight)."""
    frame = qualify(pipeline)
    frame["expected"] = frame["amount_arr"] * frame["verdict"].map(WORK_WEIGHT)
    workable = frame[frame["expected"] > 0]
    ranked = workable.sort_values(["expected", "opportunity_id"], ascending=[False, True], kind="stable")
    return [int(i) for i in ranked["opportunity_id"].head(int(capacity))]


def best_durable(durable: pd.Series, capacity: int) -> float:
    """The most durable ARR any choice of ``capacity`` opportunities could have captured (hindsight)."""
    return float(durable.nlargest(int(capacity)).clip(lower=0).sum())


def durable_of(choice: Iterable[int], durable: Mapping[int, float] | pd.Series) -> float:
    """Durable ARR captured by a chosen set of opportunity ids (each counted once)."""
    return float(sum(durable[int(i)] for i in set(choice)))
