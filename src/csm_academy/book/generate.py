"""Turn the causal model's draws into the tables a CSM works from."""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral

import numpy as np
import pandas as pd

from csm_academy import constants as C
from csm_academy.book import model as M
from csm_academy.book.book import Book
from csm_academy.errors import BookInputError

_NAME_HEADS = np.array(
    [
        "Northwind",
        "Bluebird",
        "Cedar",
        "Granite",
        "Harbor",
        "Summit",
        "Lumen",
        "Meridian",
        "Atlas",
        "Juniper",
        "Beacon",
        "Orchid",
        "Silverline",
        "Kestrel",
        "Pinnacle",
        "Redwood",
        "Tandem",
        "Vantage",
        "Willow",
        "Zephyr",
        "Aurora",
        "Brightwater",
        "Cobalt",
        "Driftwood",
        "Evergreen",
        "Foxglove",
        "Halcyon",
        "Ironbridge",
        "Larkspur",
        "Marigold",
        "Nimbus",
        "Oakridge",
        "Quarry",
        "Riverbend",
        "Sable",
        "Tidewater",
        "Upland",
        "Verity",
        "Wexford",
        "Yarrow",
    ]
)
_NAME_TAILS = np.array(
    [
        "Logistics",
        "Health",
        "Capital",
        "Retail",
        "Works",
        "Labs",
        "Learning",
        "Services",
        "Group",
        "Partners",
        "Systems",
        "Holdings",
        "Foods",
        "Freight",
        "Clinics",
        "Analytics",
    ]
)
_FIRST = np.array(
    [
        "Ana",
        "Ben",
        "Chloe",
        "Dev",
        "Elena",
        "Farid",
        "Grace",
        "Hiro",
        "Imani",
        "Jonas",
        "Kira",
        "Luis",
        "Maya",
        "Noor",
        "Omar",
        "Priya",
        "Quinn",
        "Rosa",
        "Sam",
        "Tara",
        "Uma",
        "Victor",
        "Wen",
        "Yusuf",
        "Zoe",
    ]
)
_LAST = np.array(
    [
        "Okafor",
        "Lindqvist",
        "Moreau",
        "Tanaka",
        "Schmidt",
        "Haddad",
        "Novak",
        "Reyes",
        "Kowalski",
        "Mensah",
        "Ivanova",
        "Brennan",
        "Castillo",
        "Osei",
        "Petrov",
        "Sato",
        "Fischer",
        "Ahmed",
        "Rossi",
        "Park",
    ]
)
_CSMS = np.array(["Avery Cole", "Jordan Blake", "Riley Chen", "Morgan Diaz", "Casey Patel"])
_REAL_USE_CASES = np.array(
    [
        "New team: Finance",
        "New team: Procurement",
        "New region: EMEA",
        "New workflow: vendor onboarding",
        "New workflow: contract approvals",
    ]
)
_THIN_USE_CASES = np.array(["More seats for the same team", "Premium support add-on", "Platform tier upgrade"])
_TICKET_CATEGORIES = np.array(["how-to", "bug", "missing feature", "billing", "outage"])
_SEVERITIES = np.array(["low", "normal", "high", "urgent"])
_DAY = np.timedelta64(1, "D")
_YEAR0 = np.datetime64(C.YEAR_START.isoformat(), "D")


def _check_inputs(seed: object, n_accounts: object, segment_mix: object) -> np.ndarray:
    if isinstance(seed, bool) or not isinstance(seed, Integral):
        raise BookInputError(f"seed must be a whole number, got {seed!r}")
    if int(seed) < 0:
        raise BookInputError(f"seed must be zero or positive, got {seed}")
    if isinstance(n_accounts, bool) or not isinstance(n_accounts, Integral):
        raise BookInputError(f"n_accounts must be a whole number, got {n_accounts!r}")
    if n_accounts <= 0:
        raise BookInputError(f"n_accounts must be at least 1, got {n_accounts}")
    if not isinstance(segment_mix, Mapping):
        raise BookInputError("segment_mix must map segment names to shares, e.g. {'SMB': 0.6, ...}")
    unknown = sorted(set(segment_mix) - set(C.SEGMENTS))
    if unknown:
        raise BookInputError(f"unknown segment {unknown[0]!r} in segment_mix; segments are {', '.join(C.SEGMENTS)}")
    try:
        mix = np.array([float(segment_mix.get(s, 0.0)) for s in C.SEGMENTS])
    except (TypeError, ValueError) as exc:
        raise BookInputError(f"segment_mix shares must be numbers: {exc}") from None
    if (mix < 0).any() or not np.isfinite(mix).all():
        raise BookInputError("segment_mix shares must be zero or positive numbers")
    if abs(mix.sum() - 1.0) > 1e-9:
        raise BookInputError(f"segment_mix must sum to 1, but its shares sum to {mix.sum():g}")
    return mix


def generate_book(
    seed: int,
    n_accounts: int = 500,
    segment_mix: Mapping[str, float] | None = None,
) -> Book:
    """Generate a synthetic book of SaaS accounts from a seed (same seed, same book)."""
    mix = _check_inputs(seed, n_accounts, DEFAULT_MIX if segment_mix is None else segment_mix)
    rng = np.random.default_rng(int(seed))
    n = int(n_accounts)
    h = M.draw_hidden_state(rng, n, mix)
    o = M.draw_outcomes(rng, h)

    ids = np.arange(10001, 10001 + n, dtype=np.int64)
    renewal = _YEAR0 + h.renewal_doy.astype(np.int64) * _DAY
    month_start = renewal.astype("datetime64[M]")
    day_in_month = (renewal - month_start.astype("datetime64[D]")).astype(np.int64)
    years_back = (C.MEASURED_YEAR - h.cohort).astype(np.int64)
    contract_start = (month_start - 12 * years_back).astype("datetime64[D]") + day_in_month * _DAY

    accounts = _accounts(rng, h, o, ids, contract_start, renewal)
    usage = _usage(rng, h, o, ids, renewal)
    stakeholders = _stakeholders(rng, h, ids, renewal)
    tickets = _tickets(rng, h, o, ids, renewal)
    surveys = _surveys(rng, h, o, ids, renewal)
    renewals = _renewals(rng, h, o, ids, renewal, usage_logins=_mean_logins_per_seat(usage, h))
    opportunities = _opportunities(rng, h, o, ids, renewal)
    new_logos = _new_logos(rng, n, mix)
    truth = _truth(h, o, ids, renewals)
    return Book(
        seed=int(seed),
        accounts=accounts,
        usage=usage,
        stakeholders=stakeholders,
        tickets=tickets,
        surveys=surveys,
        renewals=renewals,
        opportunities=opportunities,
        new_logos=new_logos,
        truth=truth,
    )


DEFAULT_MIX: dict[str, float] = dict(C.DEFAULT_SEGMENT_MIX)
FORECAST_CALLS = ("commit", "likely", "at-risk", "lost")
RENEWAL_OUTCOMES = ("churned", "contracted", "expanded", "renewed")


def _dates(values: np.ndarray) -> np.ndarray:
    return values.astype("datetime64[s]")


def _cat(codes: np.ndarray, labels) -> pd.Categorical:
    """Text columns are categoricals: a million rows of strings would cost seconds and gigabytes."""
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int32), categories=list(labels))


def _pick(flags: np.ndarray, yes, no) -> pd.Categorical:
    return _cat(np.where(flags, 0, 1), [yes, no])


_COMPANY_NAMES = [f"{head} {tail}" for head in _NAME_HEADS for tail in _NAME_TAILS]
_PEOPLE = [f"{first} {last}" for first in _FIRST for last in _LAST]


def _accounts(rng, h: M.HiddenState, o: M.Outcomes, ids, contract_start, renewal) -> pd.DataFrame:
    n = ids.shape[0]
    name_idx = rng.integers(0, len(_COMPANY_NAMES), size=n)
    planned = C.SUCCESS_MILESTONES
    hit_p = np.where(h.outcome_attained, 0.8, 0.4) - 0.15 * h.mis_sold
    milestones = rng.binomial(planned, np.clip(hit_p, 0.05, 0.95))
    return pd.DataFrame(
        {
            "account_id": ids,
            "name": _cat(name_idx, _COMPANY_NAMES),
            "segment": _cat(h.segment, C.SEGMENTS),
            "industry": _cat(h.industry, C.INDUSTRIES),
            "csm": _cat(rng.integers(0, len(_CSMS), size=n), _CSMS),
            "contract_start": _dates(contract_start),
            "renewal_date": _dates(renewal),
            "cohort": h.cohort.astype(np.int64),
            "pricing_model": _pick(h.usage_priced, "usage", "seat"),
            "seats_purchased": h.seats,
            "price_per_seat": h.price,
            "onboarding_days": h.ttv_days,
            "milestones_planned": np.full(n, planned, dtype=np.int64),
            "milestones_hit": milestones.astype(np.int64),
            "arr_start": o.arr_start,
            "expansion_arr": o.expansion_arr,
            "contraction_arr": o.contraction_arr,
            "churn_arr": o.churn_arr,
            "arr_end": o.arr_end,
            "churned": o.churned,
        }
    )


def _usage(rng, h: M.HiddenState, o: M.Outcomes, ids, renewal) -> pd.DataFrame:
    # Written for a million accounts: float32, in-place arithmetic and one int64 block, because in
    # this size every fresh 100 MB array costs more in page faults than in arithmetic.
    n = ids.shape[0]
    months = np.arange(12, dtype=np.float32)
    renewal_month = (renewal.astype("datetime64[M]") - _YEAR0.astype("datetime64[M]")).astype(np.int64)
    healthy = h.outcome_attained & ~h.mis_sold
    slope = (np.where(healthy, 0.012, -0.015) + np.where(h.usage_priced & healthy, 0.01, 0.0)).astype(np.float32)
    start_util = (h.utilisation * (1 - 6 * slope)).astype(np.float32)
    left_month = renewal_month - h.champion_left_days_before // 30
    fades = h.champion_left & (h.contacts == 1)

    util = np.multiply(slope[:, None], months[None, :])
    util += 1
    util *= start_util[:, None]
    np.clip(util, 0.02, 1.4, out=util)
    util[fades[:, None] & (np.arange(12)[None, :] >= left_month[:, None])] *= 0.72
    noise = rng.standard_normal((n, 12), dtype=np.float32)
    noise *= 0.07
    np.exp(noise, out=noise)
    util *= noise
    util *= h.seats.astype(np.float32)[:, None]
    np.rint(util, out=util)
    np.maximum(util, 1, out=util)
    active = util  # whole numbers from here on
    # Logins follow habit, not value: the vanity signal that a login-weighted score over-trusts.
    logins = rng.standard_normal((n, 12), dtype=np.float32)
    logins *= 0.1
    np.exp(logins, out=logins)
    logins *= (16 * h.login_habit * np.sqrt(h.seats)).astype(np.float32)[:, None]
    # Logins grow with the square root of active users: a few heavy users look like a busy account.
    logins *= np.sqrt(active)
    np.rint(logins, out=logins)
    breadth_p = np.clip(0.3 + 0.4 * h.outcome_attained - 0.12 * h.mis_sold, 0.05, 0.95)
    features = rng.integers(-1, 2, size=(n, 12), dtype=np.int8)
    features += rng.binomial(C.FEATURES_TOTAL, breadth_p).astype(np.int8)[:, None]
    features[healthy] += (np.arange(12) // 4).astype(np.int8)[None, :]
    np.clip(features, 1, C.FEATURES_TOTAL, out=features)

    # A churned account stops producing data after its renewal month.
    rows = np.where(o.churned, renewal_month + 1, 12)
    keep = np.arange(12)[None, :] < rows[:, None]
    total = int(rows.sum())
    block = np.empty((4, total), dtype=np.int64)
    block[0] = np.broadcast_to(ids[:, None], (n, 12))[keep]
    block[1] = active[keep]
    block[2] = logins[keep]
    block[3] = features[keep]
    month_idx = np.broadcast_to(np.arange(12, dtype=np.int8), (n, 12))[keep]
    frame = pd.DataFrame(block.T, columns=["account_id", "active_users", "logins", "features_adopted"], copy=False)
    month_starts = (_YEAR0.astype("datetime64[M]") + np.arange(12)).astype("datetime64[s]")
    frame.insert(1, "month", month_starts[month_idx])
    return frame


def _mean_logins_per_seat(usage: pd.DataFrame, h: M.HiddenState) -> np.ndarray:
    # Usage rows are grouped by account in id order, so a bincount over positions is exact.
    pos = (usage["account_id"].to_numpy() - 10001).astype(np.int64)
    n = h.seats.shape[0]
    total = np.bincount(pos, weights=usage["logins"].to_numpy(), minlength=n)
    count = np.bincount(pos, minlength=n)
    return total / np.maximum(count, 1) / h.seats


def _person(rng, n: int) -> pd.Categorical:
    return _cat(rng.integers(0, len(_PEOPLE), size=n), _PEOPLE)


def _stakeholders(rng, h: M.HiddenState, ids, renewal) -> pd.DataFrame:
    n = ids.shape[0]
    left_on = renewal - h.champion_left_days_before * _DAY
    left_on = np.where(h.champion_left, left_on, np.datetime64("NaT"))
    return pd.DataFrame(
        {
            "account_id": ids,
            "champion": _person(rng, n),
            "champion_left_on": _dates(left_on),
            "economic_buyer": _person(rng, n),
            "buyer_last_contact": _dates(renewal - h.buyer_gap_days * _DAY),
            "contacts_engaged": h.contacts.astype(np.int64),
        }
    )


def _active_days(renewal: np.ndarray, churned: np.ndarray) -> np.ndarray:
    # Days of the year in which the account was still a customer (at least one).
    end = np.where(churned, renewal, np.datetime64(C.YEAR_END.isoformat(), "D"))
    return np.maximum((end - _YEAR0).astype(np.int64), 1)


def _tickets(rng, h: M.HiddenState, o: M.Outcomes, ids, renewal) -> pd.DataFrame:
    lam = 0.5 * np.sqrt(h.seats) * (1 + 1.2 * h.mis_sold + 0.4 * ~h.outcome_attained)
    counts = rng.poisson(np.minimum(lam, 60))
    counts = counts + o.technicality_flag  # one loud outage ticket on a technicality account
    owner = np.repeat(np.arange(ids.shape[0]), counts)
    m = owner.shape[0]
    is_tech = np.zeros(m, dtype=bool)
    last_of_account = np.cumsum(counts) - 1
    is_tech[last_of_account[o.technicality_flag]] = True
    days = _active_days(renewal, o.churned)[owner]
    opened_day = np.floor(rng.random(m) * days).astype(np.int16)
    opened = _YEAR0 + opened_day.astype(np.int64) * _DAY
    mis = h.mis_sold[owner]
    u = rng.random(m)
    category = np.where(
        mis,
        np.searchsorted(np.cumsum([0.25, 0.2, 0.45, 0.05]), u, side="right"),
        np.searchsorted(np.cumsum([0.45, 0.3, 0.12, 0.08]), u, side="right"),
    )
    category = np.where(is_tech, 4, category)
    severity = np.minimum(rng.poisson(0.8, size=m), 3)
    severity = np.where(is_tech, 3, severity)
    sentiment = np.clip(
        0.25
        - 0.2 * severity
        - 0.35 * (category == 2)
        - 0.3 * ~h.outcome_attained[owner]
        + 0.25 * rng.standard_normal(m),
        -1,
        1,
    )
    sentiment = np.where(is_tech, -0.9, sentiment)
    # Ticket numbers rise with time, as in a help desk; a stable sort of int16 days is a radix sort.
    order = np.argsort(opened_day, kind="stable")
    return pd.DataFrame(
        {
            "ticket_id": np.arange(1, m + 1, dtype=np.int64),
            "account_id": ids[owner[order]],
            "opened_on": _dates(opened[order]),
            "category": _cat(category[order], _TICKET_CATEGORIES),
            "severity": _cat(severity[order], _SEVERITIES),
            "sentiment": np.round(sentiment[order], 2),
        }
    )


def _surveys(rng, h: M.HiddenState, o: M.Outcomes, ids, renewal) -> pd.DataFrame:
    counts = rng.poisson(0.6 + 0.4 * h.contacts) + o.technicality_flag
    owner = np.repeat(np.arange(ids.shape[0]), counts)
    m = owner.shape[0]
    is_tech = np.zeros(m, dtype=bool)
    is_tech[(np.cumsum(counts) - 1)[o.technicality_flag]] = True
    kind_csat = rng.random(m) < 0.4
    base = np.where(h.outcome_attained[owner], 8.2, 5.5) - 1.5 * h.mis_sold[owner]
    nps = np.clip(np.rint(base + 1.8 * rng.standard_normal(m)), 0, 10)
    csat = np.clip(np.rint((base - 1) / 2 + 0.9 * rng.standard_normal(m)), 1, 5)
    score = np.where(kind_csat, csat, nps)
    score = np.where(is_tech, 2, score)  # one detractor reply from an unhappy user
    kind = kind_csat & ~is_tech
    days = _active_days(renewal, o.churned)[owner]
    responded_day = np.floor(rng.random(m) * days).astype(np.int16)
    responded = _YEAR0 + responded_day.astype(np.int64) * _DAY
    order = np.argsort(responded_day, kind="stable")
    return pd.DataFrame(
        {
            "response_id": np.arange(1, m + 1, dtype=np.int64),
            "account_id": ids[owner[order]],
            "responded_on": _dates(responded[order]),
            "survey": _pick(kind[order], "CSAT", "NPS"),
            "score": score[order].astype(np.int64),
        }
    )


def _renewals(rng, h: M.HiddenState, o: M.Outcomes, ids, renewal, usage_logins) -> pd.DataFrame:
    n = ids.shape[0]
    arr_due = o.arr_start + o.upsell_arr + o.auto_expansion_arr
    outcome = np.select([o.churned, o.contraction_arr > 0, o.true_up_arr > 0], [0, 1, 2], default=3)
    arr_after = np.where(o.churned, 0, arr_due - o.contraction_arr + o.true_up_arr)
    # The CSM's own call 120 days out leans on logins and loud signals, as many dashboards do.
    heavy = usage_logins > np.quantile(usage_logins, 0.5) if n else usage_logins > 0
    forecast = np.select(
        [heavy & ~o.at_risk_flag, o.at_risk_flag & (h.utilisation < 0.3), o.at_risk_flag],
        [0, 3, 2],
        default=1,
    )
    claimed = ~o.churned & (o.save_play | (o.at_risk_flag & (rng.random(n) < 0.3)))
    return pd.DataFrame(
        {
            "account_id": ids,
            "renewal_date": _dates(renewal),
            "arr_due": arr_due,
            "csm_forecast": _cat(forecast, FORECAST_CALLS),
            "competitor_mentioned": h.competitor,
            "save_play_run": o.save_play,
            "csm_claimed_save": claimed,
            "outcome": _cat(outcome, RENEWAL_OUTCOMES),
            "arr_after": arr_after.astype(np.int64),
        }
    )


def _opportunities(rng, h: M.HiddenState, o: M.Outcomes, ids, renewal) -> pd.DataFrame:
    n = ids.shape[0]
    upsell = np.flatnonzero(o.upsell_proposed)
    auto = np.flatnonzero(o.auto_expansion_arr > 0)
    closed_up = renewal[upsell] - o.upsell_days_before[upsell] * _DAY
    closed_up = np.maximum(closed_up, _YEAR0)
    created_up = closed_up - rng.integers(20, 90, size=upsell.shape[0]) * _DAY
    closed_auto = renewal[auto] - rng.integers(10, 200, size=auto.shape[0]) * _DAY
    closed_auto = np.maximum(closed_auto, _YEAR0)
    use_case = np.where(
        h.real_use_case[upsell],
        rng.integers(0, len(_REAL_USE_CASES), size=upsell.shape[0]),
        len(_REAL_USE_CASES) + rng.integers(0, len(_THIN_USE_CASES), size=upsell.shape[0]),
    )
    use_case_labels = [*_REAL_USE_CASES, *_THIN_USE_CASES, "Usage above contracted tier"]
    proposed_amount = np.where(
        o.upsell_won[upsell],
        o.upsell_arr[upsell],
        np.rint(
            o.arr_start[upsell] * M.UPSELL_SIZE[h.segment[upsell]] * np.exp(0.6 * rng.standard_normal(upsell.shape[0]))
        ),
    ).astype(np.int64)
    seen_util = np.clip(h.utilisation + 0.03 * rng.standard_normal(n), 0.01, 1.5)
    k = upsell.shape[0] + auto.shape[0]
    owner = np.concatenate([upsell, auto])
    frame = pd.DataFrame(
        {
            "account_id": ids[owner],
            "created_on": _dates(np.concatenate([created_up, closed_auto])),
            "closed_on": _dates(np.concatenate([closed_up, closed_auto])),
            "source": _cat(np.repeat([0, 1], [upsell.shape[0], auto.shape[0]]), ["CSM", "usage tier"]),
            "use_case": _cat(
                np.concatenate([use_case, np.full(auto.shape[0], len(use_case_labels) - 1)]),
                use_case_labels,
            ),
            "sponsor_interest": np.concatenate([o.sponsor_interest[upsell], np.zeros(auto.shape[0], bool)]),
            "sponsor_funded": np.concatenate([o.sponsor_funded[upsell], np.zeros(auto.shape[0], bool)]),
            "seat_utilisation": np.round(seen_util[owner], 3),
            "amount_arr": np.concatenate([proposed_amount, o.auto_expansion_arr[auto]]).astype(np.int64),
            "stage": _pick(np.concatenate([o.upsell_won[upsell], np.ones(auto.shape[0], bool)]), "won", "lost"),
        }
    )
    frame = frame.sort_values(["closed_on", "account_id"], kind="stable").reset_index(drop=True)
    frame.insert(0, "opportunity_id", np.arange(1, k + 1, dtype=np.int64))
    return frame


def _new_logos(rng, n: int, mix: np.ndarray) -> pd.DataFrame:
    k = int(rng.binomial(n, M.NEW_LOGO_RATE))
    seg = rng.choice(len(C.SEGMENTS), size=k, p=mix)
    seats = np.maximum(3, np.rint(M.SEAT_MEDIAN[seg] * np.exp(M.SEAT_SIGMA[seg] * rng.standard_normal(k))))
    signed = _YEAR0 + rng.integers(0, 365, size=k) * _DAY
    name_idx = rng.integers(0, len(_COMPANY_NAMES), size=k)
    order = np.argsort(signed, kind="stable")
    return pd.DataFrame(
        {
            "account_id": np.arange(10001 + n, 10001 + n + k, dtype=np.int64),
            "name": _cat(name_idx[order], _COMPANY_NAMES),
            "segment": _cat(seg[order], C.SEGMENTS),
            "signed_on": _dates(signed[order]),
            "arr": (seats * M.PRICE_PER_SEAT[seg]).astype(np.int64)[order],
        }
    )


ROOT_CAUSES = (
    "none",
    "mis-sold",
    "lost champion",
    "value not realised",
    "bought more than they used",
    "no executive sponsor",
    "competitor",
    "budget cut",
)


def _truth(h: M.HiddenState, o: M.Outcomes, ids, renewals: pd.DataFrame) -> pd.DataFrame:
    lost_something = o.churned | (o.contraction_arr > 0)
    cause = np.select(
        [
            ~lost_something,
            h.mis_sold,
            h.champion_left & (h.contacts == 1),
            ~h.outcome_attained,
            o.contracted_for_overbuying,
            h.buyer_gap_days > C.BUYER_CONTACT_QUARTER_DAYS,
            h.competitor,
        ],
        list(range(len(ROOT_CAUSES) - 1)),
        default=len(ROOT_CAUSES) - 1,
    )
    claimed = renewals["csm_claimed_save"].to_numpy()
    real_save = claimed & (o.churn_risk >= 0.25) & o.save_play & o.savable
    return pd.DataFrame(
        {
            "account_id": ids,
            "fit": _pick(h.mis_sold, "mis-sold", "good fit"),
            "outcome_attained": h.outcome_attained,
            "time_to_value": _pick(h.ttv_days <= 60, "fast", "slow"),
            "churn_risk": np.round(o.churn_risk, 4),
            "savable": o.savable,
            "root_cause": _cat(cause, ROOT_CAUSES),
            "value_proven": o.value_proven,
            "real_use_case": h.real_use_case,
            "risk_was_technicality": o.technicality_flag & (o.churn_risk < 0.1),
            "save_was_real": real_save,
        }
    )
