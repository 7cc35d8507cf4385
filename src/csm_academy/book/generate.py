"""Turn the causal model's draws into the tables a CSM works from."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from numbers import Integral

import numpy as np
import pandas as pd

from csm_academy import constants
from csm_academy.book import model
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
_YEAR0 = np.datetime64(constants.YEAR_START.isoformat(), "D")


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
    unknown = sorted(set(segment_mix) - set(constants.SEGMENTS))
    if unknown:
        raise BookInputError(
            f"unknown segment {unknown[0]!r} in segment_mix; segments are {', '.join(constants.SEGMENTS)}"
        )
    try:
        mix = np.array([float(segment_mix.get(s, 0.0)) for s in constants.SEGMENTS])
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
    h = model.draw_hidden_state(rng, n, mix)
    o = model.draw_outcomes(rng, h)

    # Tables are built with copy=False, so each gets its own copy of the ids rather than sharing one.
    ids = np.arange(10001, 10001 + n, dtype=np.int64)
    renewal = _YEAR0 + h.renewal_doy.astype(np.int64) * _DAY
    contract_start = _CONTRACT_START[constants.MEASURED_YEAR - h.cohort, h.renewal_doy]

    # Building the usage and tickets tables from their draws (compacting, sorting by date, wrapping
    # columns in pandas) takes no random numbers, so for a big book a helper thread does it while this
    # thread goes on drawing; numpy releases the GIL for both. Every draw stays on this thread in its
    # fixed order, so the book is exactly the one a single thread would make.
    big = n >= _HELPER_THREAD_FROM
    helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="generate_book") if big else _Inline()
    with helper:
        accounts = _accounts(rng, h, o, ids.copy(), contract_start, renewal)
        usage = _usage(rng, h, o, ids, helper)
        stakeholders = _stakeholders(rng, h, ids.copy(), renewal)
        tickets = _tickets(rng, h, o, ids, renewal, helper)
        survey_draws = _survey_draws(rng, h, o, renewal)
        # The CSM claims a save for each renewed account that got a save play, and for some that merely
        # looked at risk.
        claimed = ~o.churned & (o.save_play | (o.at_risk_flag & (rng.random(n) < 0.3)))
        opportunity_draws = _opportunity_draws(rng, o, n)
        new_logos = _new_logos(rng, n, mix)
        # No draws are left: this thread builds the last tables while the helper finishes its own.
        surveys = _surveys(h, o, ids, survey_draws)
        usage_frame, logins_per_seat = usage.result()
        renewals = _renewals(h, o, ids.copy(), renewal, logins_per_seat, claimed)
        opportunities = _opportunities(h, o, ids, renewal, opportunity_draws)
        truth = _truth(h, o, ids, claimed)
        return Book(
            seed=int(seed),
            accounts=accounts,
            usage=usage_frame,
            stakeholders=stakeholders,
            tickets=tickets.result(),
            surveys=surveys,
            renewals=renewals,
            opportunities=opportunities,
            new_logos=new_logos,
            truth=truth,
        )


DEFAULT_MIX: dict[str, float] = dict(constants.DEFAULT_SEGMENT_MIX)
_HELPER_THREAD_FROM = 50_000  # accounts; a smaller book takes well under a tenth of a second anyway


class _Inline(Executor):
    """An executor that runs each task at once, on the calling thread."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        """Run ``fn(*args, **kwargs)`` now and return its finished future."""
        future: Future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


#: The CSM's forecast calls, safest first, as the CRM records them: the one list metrics and lessons read.
FORECAST_CALLS = ("commit", "likely", "at-risk", "lost")
RENEWAL_OUTCOMES = ("churned", "contracted", "expanded", "renewed")


def _dates(values: np.ndarray) -> np.ndarray:
    return values.astype("datetime64[s]")


def _contract_starts() -> np.ndarray:
    # Contract start by (years before the measured year, renewal day of year): the renewal date moved
    # back whole years by month arithmetic. A lookup table, because calendar arithmetic on a million
    # datetime64 values costs tens of milliseconds and only 365 x a few distinct dates exist.
    renewal = _YEAR0 + np.arange(365) * _DAY
    month_start = renewal.astype("datetime64[M]")
    day_in_month = (renewal - month_start.astype("datetime64[D]")).astype(np.int64)
    years_back = np.arange(constants.MEASURED_YEAR - min(constants.COHORT_YEARS) + 1)[:, None]
    return _dates((month_start - 12 * years_back).astype("datetime64[D]") + day_in_month * _DAY)


_CONTRACT_START = _contract_starts()
_MONTH_OF_DAY = (_YEAR0 + np.arange(365) * _DAY).astype("datetime64[M]") - _YEAR0.astype("datetime64[M]")
_MONTH_OF_DAY = _MONTH_OF_DAY.astype(np.int64)  # month index (0-11) of each day of the measured year
_DAY_STARTS = _dates(_YEAR0 + np.arange(365) * _DAY)  # midnight of each day of the measured year


def _cat(codes: np.ndarray, labels) -> pd.Categorical:
    """Text columns are categoricals: a million rows of strings would cost seconds and gigabytes."""
    # pandas stores codes in the smallest integer type that fits, copying only if they are not in it yet.
    return pd.Categorical.from_codes(codes, categories=list(labels))


def _pick(flags: np.ndarray, yes, no) -> pd.Categorical:
    return _cat((~flags).view(np.int8), [yes, no])


_COMPANY_NAMES = [f"{head} {tail}" for head in _NAME_HEADS for tail in _NAME_TAILS]
_PEOPLE = [f"{first} {last}" for first in _FIRST for last in _LAST]


def _accounts(rng, h: model.HiddenState, o: model.Outcomes, ids, contract_start, renewal) -> pd.DataFrame:
    n = ids.shape[0]
    name_idx = rng.integers(0, len(_COMPANY_NAMES), size=n)
    planned = constants.SUCCESS_MILESTONES
    hit_p = np.where(h.outcome_attained, 0.8, 0.4) - 0.15 * h.mis_sold
    milestones = rng.binomial(planned, np.clip(hit_p, 0.05, 0.95))
    # copy=False: the arrays are fresh or belong to the model's draws, which nothing else keeps, so
    # pandas need not copy them (nor consolidate them into one block, which is another copy).
    return pd.DataFrame(
        {
            "account_id": ids,
            "name": _cat(name_idx, _COMPANY_NAMES),
            "segment": _cat(h.segment, constants.SEGMENTS),
            "industry": _cat(h.industry, constants.INDUSTRIES),
            "csm": _cat(rng.integers(0, len(_CSMS), size=n), _CSMS),
            "contract_start": contract_start,
            "renewal_date": _dates(renewal),
            "cohort": h.cohort.astype(np.int64),
            "pricing_model": _pick(h.usage_priced, "usage", "seat"),
            "seats_purchased": h.seats,
            "price_per_seat": h.price,
            "onboarding_days": h.ttv_days,
            "milestones_planned": np.full(n, planned, dtype=np.int64),
            "milestones_hit": milestones.astype(np.int64, copy=False),
            "arr_start": o.arr_start,
            "expansion_arr": o.expansion_arr,
            "contraction_arr": o.contraction_arr,
            "churn_arr": o.churn_arr,
            "arr_end": o.arr_end,
            "churned": o.churned,
        },
        copy=False,
    )


def _row_blocks(n: int, rows: int = 1 << 15) -> Iterator[slice]:
    # Slices of a few hundred kilobytes of a per-account (n, 12) array or of a per-row array, so
    # that temporaries stay in cache.
    return (slice(start, start + rows) for start in range(0, n, rows))


def _usage(rng, h: model.HiddenState, o: model.Outcomes, ids, helper: Executor) -> Future:
    # The draws, in their fixed order; the helper derives the table from them (_usage_frame). The
    # layout of the rows needs no draws, so the helper starts on it straight away.
    n = ids.shape[0]
    layout = helper.submit(_usage_layout, h, o, ids)
    active_noise = rng.standard_normal((n, 12), dtype=np.float32)
    login_noise = rng.standard_normal((n, 12), dtype=np.float32)
    features = rng.integers(-1, 2, size=(n, 12), dtype=np.int8)
    breadth_p = np.clip(0.3 + 0.4 * h.outcome_attained - 0.12 * h.mis_sold, 0.05, 0.95)
    breadth = rng.binomial(constants.FEATURES_TOTAL, breadth_p)
    return helper.submit(_usage_frame, h, layout, active_noise, login_noise, features, breadth)


def _usage_layout(h: model.HiddenState, o: model.Outcomes, ids) -> dict:
    # Which (account, month) rows the usage table has, and its account_id and month columns.
    n = ids.shape[0]
    renewal_month = _MONTH_OF_DAY[h.renewal_doy]
    # A churned account stops producing data after its renewal month.
    rows = np.where(o.churned, renewal_month + 1, 12)
    keep = np.arange(12)[None, :] < rows[:, None]
    return {
        "rows": rows,
        "keep": keep,
        "renewal_month": renewal_month,
        "account_id": np.repeat(ids, rows),
        # Masking a broadcast table, unlike take() with a small index type, allocates no int64 index
        # array the size of the column.
        "month": np.broadcast_to(_dates(_YEAR0.astype("datetime64[M]") + np.arange(12)), (n, 12))[keep],
    }


def _usage_frame(
    h: model.HiddenState, layout: Future, active_noise, login_noise, features, breadth
) -> tuple[pd.DataFrame, np.ndarray]:
    # The usage table, and each account's mean monthly logins per seat. Written for a million
    # accounts: float32, in-place arithmetic on blocks of accounts small enough to stay in cache, the
    # draws' buffers turned into the results, and columns handed to pandas uncopied, because in this
    # size every fresh 100 MB array costs more in page faults than in arithmetic.
    layout = layout.result()  # done already: it went to the same one-thread helper earlier
    rows, keep = layout["rows"], layout["keep"]
    n = rows.shape[0]
    first_row = np.concatenate([[0], np.cumsum(rows)])  # of each account in the table
    months = np.arange(12, dtype=np.float32)
    healthy = h.outcome_attained & ~h.mis_sold
    slope = (np.where(healthy, 0.012, -0.015) + np.where(h.usage_priced & healthy, 0.01, 0.0)).astype(np.float32)
    start_util = (h.utilisation * (1 - 6 * slope)).astype(np.float32)
    left_month = layout["renewal_month"] - h.champion_left_days_before // 30
    fades = h.champion_left & (h.contacts == 1)
    seats = h.seats.astype(np.float32)
    login_scale = (16 * h.login_habit * np.sqrt(h.seats)).astype(np.float32)
    breadth = breadth.astype(np.int8)
    ramp = (np.arange(12) // 4).astype(np.int8)[None, :]
    columns = {name: np.empty(first_row[-1], dtype=np.int64) for name in ("active_users", "logins", "features_adopted")}
    for block in _row_blocks(n):
        util = np.multiply(slope[block, None], months[None, :])
        util += 1
        util *= start_util[block, None]
        np.clip(util, 0.02, 1.4, out=util)
        util[fades[block, None] & (np.arange(12)[None, :] >= left_month[block, None])] *= 0.72
        # The noise buffers become active users and logins: multiplying in place is exact (a * b == b * a).
        active = active_noise[block]
        active *= 0.07
        np.exp(active, out=active)
        active *= util
        active *= seats[block, None]
        np.rint(active, out=active)
        np.maximum(active, 1, out=active)  # whole numbers from here on
        # Logins follow habit, not value: the vanity signal that a login-weighted score over-trusts.
        logins = login_noise[block]
        logins *= 0.1
        np.exp(logins, out=logins)
        logins *= login_scale[block, None]
        # Logins grow with the square root of active users: a few heavy users look like a busy account.
        logins *= np.sqrt(active)
        np.rint(logins, out=logins)
        adopted = features[block]
        adopted += breadth[block, None]
        adopted += ramp * healthy[block, None]
        np.clip(adopted, 1, constants.FEATURES_TOTAL, out=adopted)
        # Keep each account's first rows[i] months.
        kept = keep[block]
        table_rows = slice(first_row[block.start], first_row[block.start + kept.shape[0]])
        columns["active_users"][table_rows] = active[kept]
        columns["logins"][table_rows] = logins[kept]
        columns["features_adopted"][table_rows] = adopted[kept]
    frame = pd.DataFrame({"account_id": layout["account_id"], "month": layout["month"], **columns}, copy=False)
    # Logins are whole numbers, so summing them per account as int64 is exact (each has at least one row).
    logins_total = np.add.reduceat(columns["logins"], first_row[:-1]).astype(np.float64)
    return frame, logins_total / np.maximum(rows, 1) / h.seats


def _person(rng, n: int) -> pd.Categorical:
    return _cat(rng.integers(0, len(_PEOPLE), size=n), _PEOPLE)


def _stakeholders(rng, h: model.HiddenState, ids, renewal) -> pd.DataFrame:
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
        },
        copy=False,
    )


def _active_days(renewal: np.ndarray, churned: np.ndarray) -> np.ndarray:
    # Days of the year in which the account was still a customer (at least one), as int16 so that
    # spreading it over millions of ticket rows stays cheap.
    end = np.where(churned, renewal, np.datetime64(constants.YEAR_END.isoformat(), "D"))
    return np.maximum((end - _YEAR0).astype(np.int64), 1).astype(np.int16)


def _rows_per_account(counts: np.ndarray, flagged: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Owning account (position) of each row when account i has counts[i] consecutive rows, and the
    # position of the last row of every flagged account. int32 halves what the sort by date moves;
    # per-row copies of account values use np.repeat(values, counts), which needs no index at all.
    owner = np.repeat(np.arange(counts.shape[0], dtype=np.int32), counts)
    return owner, (np.cumsum(counts) - 1)[flagged]


def _draw_days(rng, active_days: np.ndarray, out: np.ndarray) -> np.ndarray:
    # A uniform day within each row's active days, drawn into ``out`` and returned as int16.
    days = rng.random(out.shape[0], out=out)
    days *= active_days
    np.floor(days, out=days)
    return days.astype(np.int16)


def _by_day(day: np.ndarray, columns: dict) -> dict:
    # Rows reordered by day, keeping the original order within a day (help-desk numbering): a stable
    # sort of int16 days is a radix sort, and the sorted dates come from a count per day, not a gather.
    order = np.argsort(day, kind="stable")
    out = {name: values[order] for name, values in columns.items()}
    out["date"] = np.repeat(_DAY_STARTS, np.bincount(day, minlength=_DAY_STARTS.shape[0]))
    return out


def _tickets(rng, h: model.HiddenState, o: model.Outcomes, ids, renewal, helper: Executor) -> Future:
    # The draws, in their fixed order; the helper derives the table from them (_tickets_frame). Two
    # ticket-sized buffers serve the draws in turn and end up as output columns, instead of a fresh
    # 35 MB array at every step.
    lam = 0.5 * np.sqrt(h.seats) * (1 + 1.2 * h.mis_sold + 0.4 * ~h.outcome_attained)
    counts = rng.poisson(np.minimum(lam, 60))
    counts += o.technicality_flag  # one loud outage ticket on a technicality account
    m = int(counts.sum())
    work_f64 = np.empty(m)
    opened_day = _draw_days(rng, np.repeat(_active_days(renewal, o.churned), counts), out=work_f64)
    u = rng.random(m, out=work_f64)
    work_i64 = rng.poisson(0.8, size=m)
    severity = np.minimum(work_i64, 3, out=work_i64).astype(np.int8)
    noise = rng.standard_normal(m, out=work_i64.view(np.float64))  # severity is int8 now
    return helper.submit(_tickets_frame, h, o, ids, counts, opened_day, u, severity, noise)


def _tickets_frame(
    h: model.HiddenState, o: model.Outcomes, ids, counts, opened_day, u, severity, noise
) -> pd.DataFrame:
    # Millions of rows, so small dtypes and in-place arithmetic on cache-sized blocks; overrides and
    # rounding come before the sort by date, so that it moves each column once.
    owner, tech = _rows_per_account(counts, o.technicality_flag)
    mis = np.repeat(h.mis_sold, counts)
    unmet = np.repeat(~h.outcome_attained, counts)
    edges = list(zip(np.cumsum([0.25, 0.2, 0.45, 0.05]), np.cumsum([0.45, 0.3, 0.12, 0.08])))
    category = np.zeros(u.shape[0], dtype=np.int8)
    hundredths = np.empty(u.shape[0], dtype=np.float16)
    for block in _row_blocks(u.shape[0], 1 << 16):
        # np.searchsorted(edges, u, side="right") is the number of edges at or below u; counting them
        # with comparisons is exact and several times faster than a binary search per ticket.
        cat = category[block]
        for mis_edge, fit_edge in edges:
            cat += np.where(mis[block], u[block] >= mis_edge, u[block] >= fit_edge)
        # 0.25 - 0.2 severity - 0.35 [missing feature] - 0.3 [outcome not attained] + 0.25 noise, term
        # by term in the same order as the plain expression, so every float rounds the same way. It
        # goes in the buffer of u, which is spent.
        sentiment = np.multiply(severity[block], 0.2, out=u[block])
        np.subtract(0.25, sentiment, out=sentiment)
        sentiment -= 0.35 * (cat == 2)
        sentiment -= 0.3 * unmet[block]
        z = noise[block]
        z *= 0.25
        sentiment += z
        np.clip(sentiment, -1, 1, out=sentiment)
        # Rounded to hundredths as np.round does it (rint(x * 100) / 100), but the division waits
        # until after the sort: whole hundredths travel through it as float16, exact from -100 to 100
        # and keeping -0.0, so the gather moves a quarter of the bytes.
        np.multiply(sentiment, 100, out=sentiment)
        hundredths[block] = np.rint(sentiment, out=sentiment)
    # The loud outage ticket of a technicality account (its computed sentiment is overridden too).
    category[tech] = 4
    severity[tech] = 3
    hundredths[tech] = np.rint(-0.9 * 100)
    rows = _by_day(opened_day, {"owner": owner, "category": category, "severity": severity, "hundredths": hundredths})
    # The spent float64 buffers of u and the noise become the sentiment and account_id columns.
    return pd.DataFrame(
        {
            "ticket_id": np.arange(1, u.shape[0] + 1, dtype=np.int64),
            "account_id": np.add(rows["owner"], ids[0], out=noise.view(np.int64)),  # ids are consecutive
            "opened_on": rows["date"],
            "category": _cat(rows["category"], _TICKET_CATEGORIES),
            "severity": _cat(rows["severity"], _SEVERITIES),
            "sentiment": np.divide(rows["hundredths"], 100, out=u, dtype=np.float64),
        },
        copy=False,
    )


def _survey_draws(rng, h: model.HiddenState, o: model.Outcomes, renewal) -> dict:
    # The draws of the surveys table, in their fixed order (the table waits for _surveys).
    counts = rng.poisson(0.6 + 0.4 * h.contacts)
    counts += o.technicality_flag
    m = int(counts.sum())
    return {
        "counts": counts,
        "kind_csat": rng.random(m) < 0.4,
        "nps": rng.standard_normal(m),
        "csat": rng.standard_normal(m),
        "responded_day": _draw_days(rng, np.repeat(_active_days(renewal, o.churned), counts), out=np.empty(m)),
    }


def _surveys(h: model.HiddenState, o: model.Outcomes, ids, draws: dict) -> pd.DataFrame:
    # Same approach as _tickets_frame: per-account terms computed once, then spread over the replies.
    counts, kind_csat, nps, csat = draws["counts"], draws["kind_csat"], draws["nps"], draws["csat"]
    responded_day = draws["responded_day"]
    owner, tech = _rows_per_account(counts, o.technicality_flag)
    base = np.where(h.outcome_attained, 8.2, 5.5) - 1.5 * h.mis_sold
    nps *= 1.8
    nps += np.repeat(base, counts)
    np.rint(nps, out=nps)
    np.clip(nps, 0, 10, out=nps)
    score = nps.astype(np.int8)
    csat *= 0.9
    csat += np.repeat((base - 1) / 2, counts)
    np.rint(csat, out=csat)
    np.clip(csat, 1, 5, out=csat)
    np.copyto(score, csat, casting="unsafe", where=kind_csat)
    score[tech] = 2  # one detractor reply from an unhappy user
    kind_csat[tech] = False
    rows = _by_day(responded_day, {"owner": owner, "csat": kind_csat, "score": score})
    return pd.DataFrame(
        {
            "response_id": np.arange(1, responded_day.shape[0] + 1, dtype=np.int64),
            "account_id": np.add(rows["owner"], ids[0], dtype=np.int64),  # ids are consecutive
            "responded_on": rows["date"],
            "survey": _pick(rows["csat"], "CSAT", "NPS"),
            "score": rows["score"].astype(np.int64),
        },
        copy=False,
    )


def _renewals(h: model.HiddenState, o: model.Outcomes, ids, renewal, usage_logins, claimed) -> pd.DataFrame:
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
        },
        copy=False,
    )


def _opportunity_draws(rng, o: model.Outcomes, n: int) -> dict:
    # The draws of the opportunities table, in their fixed order (the table waits for _opportunities).
    upsell = np.flatnonzero(o.upsell_proposed)
    auto = np.flatnonzero(o.auto_expansion_arr > 0)
    return {
        "upsell": upsell,
        "auto": auto,
        "lead_days": rng.integers(20, 90, size=upsell.shape[0]),
        "auto_days": rng.integers(10, 200, size=auto.shape[0]),
        "real_case": rng.integers(0, len(_REAL_USE_CASES), size=upsell.shape[0]),
        "thin_case": rng.integers(0, len(_THIN_USE_CASES), size=upsell.shape[0]),
        "amount_noise": rng.standard_normal(upsell.shape[0]),
        "util_noise": rng.standard_normal(n),
    }


def _opportunities(h: model.HiddenState, o: model.Outcomes, ids, renewal, draws: dict) -> pd.DataFrame:
    upsell, auto = draws["upsell"], draws["auto"]
    closed_up = renewal[upsell] - o.upsell_days_before[upsell] * _DAY
    closed_up = np.maximum(closed_up, _YEAR0)
    created_up = closed_up - draws["lead_days"] * _DAY
    closed_auto = renewal[auto] - draws["auto_days"] * _DAY
    closed_auto = np.maximum(closed_auto, _YEAR0)
    use_case = np.where(h.real_use_case[upsell], draws["real_case"], len(_REAL_USE_CASES) + draws["thin_case"])
    use_case_labels = [*_REAL_USE_CASES, *_THIN_USE_CASES, "Usage above contracted tier"]
    proposed_amount = np.where(
        o.upsell_won[upsell],
        o.upsell_arr[upsell],
        np.rint(o.arr_start[upsell] * model.UPSELL_SIZE[h.segment[upsell]] * np.exp(0.6 * draws["amount_noise"])),
    ).astype(np.int64)
    seen_util = np.clip(h.utilisation + 0.03 * draws["util_noise"], 0.01, 1.5)
    owner = np.concatenate([upsell, auto])
    closed = np.concatenate([closed_up, closed_auto])
    # By close date, then account, keeping proposal order for ties: what a stable
    # sort_values(["closed_on", "account_id"]) gives, without pandas copying every column to get it.
    # (Dates as int16 days of the year: numpy sorts those by radix, datetimes by merging.)
    order = np.lexsort((owner, (closed - _YEAR0).astype(np.int16)))
    owner = owner[order]
    return pd.DataFrame(
        {
            "opportunity_id": np.arange(1, order.shape[0] + 1, dtype=np.int64),
            "account_id": ids[owner],
            "created_on": _dates(np.concatenate([created_up, closed_auto]))[order],
            "closed_on": _dates(closed[order]),
            "source": _cat(
                np.repeat(np.array([0, 1], dtype=np.int8), [upsell.shape[0], auto.shape[0]])[order],
                ["CSM", "usage tier"],
            ),
            "use_case": _cat(
                np.concatenate([use_case, np.full(auto.shape[0], len(use_case_labels) - 1)])[order],
                use_case_labels,
            ),
            "sponsor_interest": np.concatenate([o.sponsor_interest[upsell], np.zeros(auto.shape[0], bool)])[order],
            "sponsor_funded": np.concatenate([o.sponsor_funded[upsell], np.zeros(auto.shape[0], bool)])[order],
            "seat_utilisation": np.round(seen_util[owner], 3),
            "amount_arr": np.concatenate([proposed_amount, o.auto_expansion_arr[auto]])[order],
            "stage": _pick(np.concatenate([o.upsell_won[upsell], np.ones(auto.shape[0], bool)])[order], "won", "lost"),
        },
        copy=False,
    )


def _new_logos(rng, n: int, mix: np.ndarray) -> pd.DataFrame:
    k = int(rng.binomial(n, model.NEW_LOGO_RATE))
    seg = rng.choice(len(constants.SEGMENTS), size=k, p=mix)
    seats = np.maximum(3, np.rint(model.SEAT_MEDIAN[seg] * np.exp(model.SEAT_SIGMA[seg] * rng.standard_normal(k))))
    signed_day = rng.integers(0, 365, size=k)
    name_idx = rng.integers(0, len(_COMPANY_NAMES), size=k)
    order = np.argsort(signed_day.astype(np.int16), kind="stable")  # int16: a radix sort
    return pd.DataFrame(
        {
            "account_id": np.arange(10001 + n, 10001 + n + k, dtype=np.int64),
            "name": _cat(name_idx[order], _COMPANY_NAMES),
            "segment": _cat(seg[order], constants.SEGMENTS),
            "signed_on": _DAY_STARTS[signed_day[order]],
            "arr": (seats * model.PRICE_PER_SEAT[seg]).astype(np.int64)[order],
        },
        copy=False,
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


def _truth(h: model.HiddenState, o: model.Outcomes, ids, claimed) -> pd.DataFrame:
    lost_something = o.churned | (o.contraction_arr > 0)
    cause = np.select(
        [
            ~lost_something,
            h.mis_sold,
            h.champion_left & (h.contacts == 1),
            ~h.outcome_attained,
            o.contracted_for_overbuying,
            h.buyer_gap_days > constants.BUYER_CONTACT_QUARTER_DAYS,
            h.competitor,
        ],
        list(range(len(ROOT_CAUSES) - 1)),
        default=len(ROOT_CAUSES) - 1,
    )
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
        },
        copy=False,
    )
