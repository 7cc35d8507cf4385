"""The causal model behind a book: hidden state drives observed signals, and both drive outcomes.

Everything is drawn with one numpy ``Generator`` in a fixed order, so the same seed always gives the
same book. Nothing here loops over accounts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from csm_academy import constants

# Per-segment parameters, in the order of ``constants.SEGMENTS`` (SMB, Mid-Market, Enterprise).
# Tuned so that a large default book lands inside ``constants.BENCHMARK_BANDS`` (see tests/test_book_realism.py).
SEAT_MEDIAN = np.array([14.0, 85.0, 520.0])
SEAT_SIGMA = np.array([0.55, 0.50, 0.55])
PRICE_PER_SEAT = np.array([480, 720, 960])  # dollars per seat per year
MIS_SOLD_RATE = np.array([0.10, 0.08, 0.04])
EXTRA_CONTACTS = np.array([0.5, 1.4, 3.0])  # mean contacts beyond the champion (multi-threading)
USAGE_PRICING_RATE = np.array([0.32, 0.22, 0.12])  # share of accounts on a usage-based tier
CHURN_INTERCEPT = np.array([-3.55, -3.95, -4.7])
CONTRACT_INTERCEPT = np.array([-3.0, -4.0, -3.5])
PROPOSE_RATE = np.array([0.30, 0.48, 0.50])  # chance a CSM proposes an upsell during the year
UPSELL_SIZE = np.array([0.35, 0.35, 0.40])  # median upsell as a share of ARR
TRUE_UP_RATE = np.array([0.60, 0.60, 0.70])  # chance a well-used account adds seats at renewal
NEW_LOGO_RATE = 0.22  # new logos signed in the year, per account in the starting book
#: What a save play does to a savable account's churn: its log-odds drop by this much. The grader's
#: expected-value model of a save (``metrics.renewal.save_uplift``) reads it from here.
SAVE_EFFECT = 1.6
#: A savable account still has someone to sponsor a save: a champion, another engaged contact, or an
#: economic buyer met within this many days of the renewal (``metrics.renewal.sponsor_reachable``).
SPONSOR_REACH_DAYS = 180


@dataclass
class HiddenState:
    """What is true about each account; a CSM sees only its shadows."""

    segment: np.ndarray  # int index into constants.SEGMENTS
    industry: np.ndarray  # int index into constants.INDUSTRIES
    cohort: np.ndarray  # signing year
    renewal_doy: np.ndarray  # day of the measured year on which the contract renews
    seats: np.ndarray
    price: np.ndarray
    mis_sold: np.ndarray
    ttv_days: np.ndarray  # days from signing to first value
    outcome_attained: np.ndarray
    contacts: np.ndarray  # engaged contacts; 1 means single-threaded
    champion_left: np.ndarray
    champion_left_days_before: np.ndarray  # days before renewal the champion left
    buyer_gap_days: np.ndarray  # days since the economic buyer was last met, at renewal
    competitor: np.ndarray
    usage_priced: np.ndarray
    login_habit: np.ndarray  # how often users log in, unrelated to value (the vanity signal)
    utilisation: np.ndarray  # share of purchased seats in real use
    real_use_case: np.ndarray  # a genuine next use case exists
    extra: dict[str, np.ndarray] = field(default_factory=dict)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def draw_hidden_state(rng: np.random.Generator, n: int, mix: np.ndarray) -> HiddenState:
    """Draw the hidden state of ``n`` accounts."""
    segment = rng.choice(len(constants.SEGMENTS), size=n, p=mix).astype(np.int8)
    industry = rng.integers(0, len(constants.INDUSTRIES), size=n).astype(np.int8)
    cohort_w = np.array([0.05, 0.07, 0.09, 0.12, 0.16, 0.22, 0.29])
    cohort = np.asarray(constants.COHORT_YEARS, dtype=np.int16)[rng.choice(len(cohort_w), size=n, p=cohort_w)]
    renewal_doy = rng.integers(0, 365, size=n).astype(np.int16)

    seats = np.maximum(3, np.rint(SEAT_MEDIAN[segment] * np.exp(SEAT_SIGMA[segment] * rng.standard_normal(n)))).astype(
        np.int64
    )
    price = PRICE_PER_SEAT[segment].astype(np.int64)

    misfit_industry = industry == constants.INDUSTRIES.index(constants.MISFIT_INDUSTRY)
    mis_sold = rng.random(n) < MIS_SOLD_RATE[segment] * np.where(misfit_industry, 3.0, 0.8)

    ent = segment == 2
    ttv_median = np.where(mis_sold, 130.0, 45.0) * np.where(ent, 1.5, 1.0)
    ttv_days = np.rint(ttv_median * np.exp(0.5 * rng.standard_normal(n))).astype(np.int64) + 5

    z_outcome = 1.6 - 2.6 * mis_sold - 0.012 * (ttv_days - 60) + 0.5 * rng.standard_normal(n)
    outcome_attained = rng.random(n) < _sigmoid(z_outcome)

    contacts = 1 + rng.poisson(EXTRA_CONTACTS[segment])
    champion_left = rng.random(n) < 0.17
    champion_left_days_before = rng.integers(20, 330, size=n)

    gap_scale = np.where(outcome_attained, 55.0, 95.0) * np.where(ent, 0.7, 1.0)
    buyer_gap_days = np.rint(rng.exponential(gap_scale)).astype(np.int64) + 3
    competitor = rng.random(n) < np.where(outcome_attained, 0.08, 0.25)
    usage_priced = rng.random(n) < USAGE_PRICING_RATE[segment]
    login_habit = np.exp(0.8 * rng.standard_normal(n))

    util_mean = np.where(outcome_attained, 0.78, 0.46) - 0.12 * mis_sold
    utilisation = np.clip(util_mean + 0.15 * rng.standard_normal(n), 0.05, 1.25)
    utilisation = np.where(usage_priced, utilisation, np.minimum(utilisation, 1.0))
    real_use_case = rng.random(n) < np.where(outcome_attained & ~mis_sold, 0.65, 0.2)

    return HiddenState(
        segment=segment,
        industry=industry,
        cohort=cohort,
        renewal_doy=renewal_doy,
        seats=seats,
        price=price,
        mis_sold=mis_sold,
        ttv_days=ttv_days,
        outcome_attained=outcome_attained,
        contacts=contacts,
        champion_left=champion_left,
        champion_left_days_before=champion_left_days_before,
        buyer_gap_days=buyer_gap_days,
        competitor=competitor,
        usage_priced=usage_priced,
        login_habit=login_habit,
        utilisation=utilisation,
        real_use_case=real_use_case,
    )


@dataclass
class Outcomes:
    """What happened in the measured year, per account, in whole dollars."""

    arr_start: np.ndarray
    expansion_arr: np.ndarray
    contraction_arr: np.ndarray
    churn_arr: np.ndarray
    arr_end: np.ndarray
    churned: np.ndarray
    churn_risk: np.ndarray  # probability of churn had nobody intervened
    at_risk_flag: np.ndarray  # looked at risk to the CSM before renewal
    save_play: np.ndarray
    savable: np.ndarray
    upsell_proposed: np.ndarray
    upsell_won: np.ndarray
    upsell_arr: np.ndarray
    upsell_days_before: np.ndarray
    value_proven: np.ndarray
    sponsor_interest: np.ndarray
    sponsor_funded: np.ndarray
    auto_expansion_arr: np.ndarray
    true_up_arr: np.ndarray
    contracted_for_overbuying: np.ndarray
    technicality_flag: np.ndarray  # a scary but harmless signal (one outage, one detractor)


def draw_outcomes(rng: np.random.Generator, h: HiddenState) -> Outcomes:
    """Play the measured year: upsells, automatic expansion, renewal (churn, contraction, true-up)."""
    n = h.segment.shape[0]
    seg = h.segment
    arr_start = h.seats * h.price

    single = h.contacts == 1
    no_buyer_quarter = h.buyer_gap_days > constants.BUYER_CONTACT_QUARTER_DAYS

    # CSM-proposed upsells, some qualified, some order-taking under quota pressure.
    value_proven = (h.utilisation >= 0.7) & h.outcome_attained
    quota_pressure = rng.random(n) < 0.35
    propose_p = PROPOSE_RATE[seg] * np.where(value_proven, 1.3, np.where(quota_pressure, 1.0, 0.35))
    upsell_proposed = rng.random(n) < np.minimum(propose_p, 0.95)
    sponsor_interest = upsell_proposed & (rng.random(n) < np.where(h.outcome_attained, 0.8, 0.55))
    sponsor_funded = sponsor_interest & (rng.random(n) < np.where(value_proven, 0.7, 0.35))
    win_p = 0.12 + 0.55 * sponsor_funded + 0.15 * h.real_use_case + 0.1 * quota_pressure
    upsell_won = upsell_proposed & (rng.random(n) < win_p)
    upsell_share = UPSELL_SIZE[seg] * np.exp(0.75 * rng.standard_normal(n))
    upsell_arr = np.where(upsell_won, np.rint(arr_start * upsell_share), 0).astype(np.int64)
    upsell_days_before = rng.integers(15, 250, size=n)

    # Usage-priced accounts step up a tier automatically when use outgrows the contract.
    growth = np.clip(0.1 + 0.6 * (h.utilisation - 0.7) + 0.08 * rng.standard_normal(n), 0.0, 0.6)
    auto_expansion_arr = np.where(h.usage_priced, np.rint(arr_start * growth), 0).astype(np.int64)

    # Renewal: churn risk from the hidden state; logins play no part.
    z = (
        CHURN_INTERCEPT[seg]
        + 2.3 * h.mis_sold
        + 1.4 * ~h.outcome_attained
        + np.where(h.champion_left, np.where(single, 1.7, 0.45), 0.0)
        + 0.55 * no_buyer_quarter
        + 0.6 * h.competitor
        + 0.004 * (h.ttv_days - 60)
        # Smaller contracts within a segment churn more often: logos leave faster than dollars.
        - 0.5 * (np.log(h.seats) - np.log(SEAT_MEDIAN[seg]))
        + 0.35 * rng.standard_normal(n)
    )
    churn_risk = _sigmoid(z)
    # Savable: the fit is right and a sponsor can still be reached.
    savable = ~h.mis_sold & (~single | ~h.champion_left | (h.buyer_gap_days <= SPONSOR_REACH_DAYS))
    technicality_flag = rng.random(n) < 0.10
    at_risk_flag = (h.utilisation < 0.45) | (h.champion_left & single) | technicality_flag | (churn_risk > 0.5)
    save_play = at_risk_flag & (rng.random(n) < 0.55)
    z_after = z - np.where(save_play & savable, SAVE_EFFECT, 0.0)
    churned = rng.random(n) < _sigmoid(z_after)

    # Seat right-sizing at renewal: under-used and order-taking upsells shrink back.
    unproven_upsell = upsell_won & ~value_proven
    zc = CONTRACT_INTERCEPT[seg] + 1.6 * (h.utilisation < 0.55) + 2.2 * unproven_upsell + 0.6 * ~h.outcome_attained
    contracts = ~churned & (rng.random(n) < _sigmoid(zc))
    arr_before_renewal = arr_start + upsell_arr + auto_expansion_arr
    cut_share = np.clip(np.where(unproven_upsell, 0.2, 0.0) + rng.uniform(0.08, 0.35, size=n), 0.05, 0.7)
    contraction_arr = np.where(contracts, np.rint(arr_before_renewal * cut_share), 0).astype(np.int64)
    contracted_for_overbuying = contracts & unproven_upsell

    true_up = ~churned & ~contracts & ~h.usage_priced & (h.utilisation >= 0.85) & (rng.random(n) < TRUE_UP_RATE[seg])
    true_up_arr = np.where(true_up, np.rint(arr_start * rng.uniform(0.05, 0.35, size=n)), 0).astype(np.int64)

    expansion_arr = upsell_arr + auto_expansion_arr + true_up_arr
    churn_arr = np.where(churned, arr_before_renewal, 0).astype(np.int64)
    arr_end = arr_start + expansion_arr - contraction_arr - churn_arr

    return Outcomes(
        arr_start=arr_start,
        expansion_arr=expansion_arr,
        contraction_arr=contraction_arr,
        churn_arr=churn_arr,
        arr_end=arr_end,
        churned=churned,
        churn_risk=churn_risk,
        at_risk_flag=at_risk_flag,
        save_play=save_play,
        savable=savable,
        upsell_proposed=upsell_proposed,
        upsell_won=upsell_won,
        upsell_arr=upsell_arr,
        upsell_days_before=upsell_days_before,
        value_proven=value_proven,
        sponsor_interest=sponsor_interest,
        sponsor_funded=sponsor_funded,
        auto_expansion_arr=auto_expansion_arr,
        true_up_arr=true_up_arr,
        contracted_for_overbuying=contracted_for_overbuying,
        technicality_flag=technicality_flag,
    )
