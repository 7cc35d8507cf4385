"""Health-score arithmetic: components, the weighted composite, bands, and the tests that calibrate it.

A health score is a hypothesis about who will renew. Every function here either builds the score from
signals a CSM can see, or tests it against what really happened at renewal: calibration (churn rate by
band and by decile), ranking (AUC, churned ARR captured at the bottom) and lead time (how early it
turned red). Scores run from 0 to 100 and **higher means healthier**, so churners should score low;
a churn probability (higher = riskier) is declared with ``higher_is_healthier=False`` and tested for
calibration by ``reliability`` and ``brier``.

Every function that takes scores and outcomes takes them the same way: two Series are matched by id
(index), and must cover the same accounts; a list or numpy array is matched by position. Outcomes are
True/False or 1/0; a missing score or outcome is refused, never guessed.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from csm_academy import constants as C
from csm_academy.book.book import Book

#: The signals a score can weigh, each scaled to 0-100 (higher is healthier).
COMPONENTS: tuple[str, ...] = ("usage", "adoption", "sentiment", "engagement", "outcomes", "logins")
COMPONENT_MEANING: dict[str, str] = {
    "usage": "active users as a share of purchased seats (capped at 100%)",
    "adoption": "product features in regular use, out of 12 (adoption breadth)",
    "sentiment": "tone of the year's support tickets so far, -1..1 mapped to 0..100 (50 with no tickets)",
    "engagement": "executive engagement: buyer met in the last quarter, champion still there, multi-threaded",
    "outcomes": "success-plan milestones hit out of those planned (outcome attainment)",
    "logins": "logins per seat per month against 20 (one a working day); activity, not value",
}
#: The health-score scale: 0 is the worst a score can say, 100 the best.
SCORE_MIN = 0.0
SCORE_MAX = 100.0
BANDS: tuple[str, ...] = ("red", "yellow", "green")
#: Band edges on the 0-100 scale: red below 50, yellow from 50 up to 75, green from 75.
RED_BELOW = 50.0
GREEN_FROM = 75.0
#: Weights in points, as a CS platform's admin screen shows them; only their ratios matter.
#: The login-heavy default many teams start from, and the outcome-weighted alternative the course tests.
VANITY_WEIGHTS: dict[str, float] = {
    "usage": 2,
    "adoption": 1,
    "sentiment": 1,
    "engagement": 1,
    "outcomes": 0,
    "logins": 5,
}
OUTCOME_WEIGHTS: dict[str, float] = {
    "usage": 4,
    "adoption": 4,
    "sentiment": 3,
    "engagement": 3,
    "outcomes": 6,
    "logins": 0,
}
LOGINS_PER_SEAT_FULL = 20  # logins per seat per month that count as full activity
SCORE_WINDOW_MONTHS = 3  # the account-level score: the quarter going into the renewal
# Executive-engagement penalties (points off 100), from the seeds' rules of thumb.
NO_BUYER_PENALTY = 40  # no meeting with the economic buyer in a quarter
CHAMPION_GONE_PENALTY = 40  # the day-to-day champion has left
SINGLE_THREADED_PENALTY = 20  # one engaged contact: a time bomb
# Likely causes for a churned account, in the order they are checked.
CAUSES: tuple[str, ...] = ("lost champion", "no buyer contact in a quarter", "outcome not attained", "no warning sign")
#: An AUC this far below a coin toss means the score most likely runs the other way, not that it is merely weak.
REVERSED_AUC_BELOW = 0.35
RELIABILITY_BINS = 10  # equal-width probability bins, as scikit-learn's calibration_curve uses by default
_IDS_SHOWN = 5  # ids an error message lists before "..."
_FLOAT_SLACK = 1e-9  # floating-point error in a product or weighted mean: never a real difference in accounts or points

#: One value per account: a pandas Series (matched by id), or a list or numpy array (matched by position).
Values = pd.Series | np.ndarray | Sequence[float]


# --- Inputs: one value per account, lined up, nothing missing ----------------------------------------


def _ids(labels: pd.Index | np.ndarray) -> str:
    shown = ", ".join(map(repr, labels[:_IDS_SHOWN].tolist()))  # plain Python values: 'no', not np.str_('no')
    return shown + (", ..." if len(labels) > _IDS_SHOWN else "")


def _series(values: Values, what: str) -> pd.Series:
    """``values`` as a Series with one row per account: a Series as given, a list or array numbered from 0."""
    if isinstance(values, pd.Series):
        series = values
    else:
        array = np.asarray(values)
        if array.ndim != 1:
            raise ValueError(
                f"{what} should hold one value per account (a Series, list or 1-D array), not shape {array.shape}"
            )
        series = pd.Series(array)
    repeated = series.index[series.index.duplicated()].unique()
    if len(repeated):
        raise ValueError(f"{what} has {len(repeated)} repeated id(s) ({_ids(repeated)}): give one value per account")
    return series


def _on(values: Values, index: pd.Index, what: str, base: str) -> pd.Series:
    """``values`` on ``base``'s ``index``: a Series by id (the same ids, no more), anything else by position."""
    if not isinstance(values, pd.Series):
        array = np.asarray(values)
        if array.shape != (len(index),):
            raise ValueError(
                f"{what} has {array.size} values but {base} has {len(index)}: a list or array is matched by "
                "position, so the lengths must agree"
            )
        return pd.Series(array, index=index)
    series = _series(values, what)
    if series.index.equals(index):
        return series
    missing, extra = index[~index.isin(series.index)], series.index[~series.index.isin(index)]
    if len(missing) or len(extra):
        raise ValueError(
            f"{base} and {what} cover different accounts: {len(missing)} id(s) in {base} are missing from {what}"
            + (f" ({_ids(missing)})" if len(missing) else "")
            + f", and {len(extra)} id(s) in {what} are missing from {base}"
            + (f" ({_ids(extra)})" if len(extra) else "")
        )
    return series.reindex(index)


def _scores(values: Values) -> pd.Series:
    """Scores as floats, one per account, none missing."""
    series = _series(values, "scores")
    try:
        scores = series.astype(float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"scores should be numbers: {err}") from None
    missing = scores.index[scores.isna()]
    if len(missing):
        raise ValueError(
            f"{len(missing)} account(s) have no score ({_ids(missing)}): score them, or leave those accounts out, "
            "before testing the score"
        )
    return scores


def _is_flag(value: object) -> bool:
    return isinstance(value, bool | np.bool_ | numbers.Real) and value in (0, 1)


def _outcomes(churned: pd.Series) -> pd.Series:
    """Churn flags as bools; only True/False or 1/0 count as an outcome."""
    missing = churned.index[churned.isna()]
    if len(missing):
        raise ValueError(
            f"churned is missing for {len(missing)} account(s) ({_ids(missing)}): each needs True/False or 1/0"
        )
    if pd.api.types.is_bool_dtype(churned):
        return churned.astype(bool)
    valid = churned.map(_is_flag).astype(bool)
    if not valid.all():
        found = pd.unique(churned[~valid].to_numpy())
        # "no".astype(bool) is True: a label would silently count as churned, so it is refused instead.
        raise ValueError(
            f"churned should be True/False or 1/0 for each account; found {_ids(found)} "
            f"(for {(~valid).sum()} account(s), e.g. {_ids(churned.index[~valid])})"
        )
    return churned.astype(bool)


def _scored(scores: Values, churned: Values) -> tuple[pd.Series, pd.Series]:
    """Scores (floats) and outcomes (bools) for the same accounts, in the scores' order; see the module's rules."""
    if not isinstance(scores, pd.Series) and isinstance(churned, pd.Series):
        scores = _on(scores, _series(churned, "churned").index, "scores", "churned")  # by position, keeping the ids
    s = _scores(scores)
    return s, _outcomes(_on(churned, s.index, "churned", "scores"))


def _probabilities(probabilities: Values, churned: Values) -> tuple[pd.Series, pd.Series]:
    """Churn probabilities (0..1, higher = riskier) and outcomes, lined up as ``_scored`` does."""
    p, c = _scored(probabilities, churned)
    outside = p.index[(p < 0) | (p > 1)]
    if len(outside):
        raise ValueError(
            f"probabilities must lie within 0..1; {len(outside)} do not ({_ids(outside)}). "
            "A 0-100 health score is not a probability: test it with auc, deciles and bands instead"
        )
    return p, c


def _health(scores: pd.Series, higher_is_healthier: bool) -> pd.Series:
    # Ranking functions work on health (higher = healthier); a declared risk score is turned around.
    return scores if higher_is_healthier else -scores


def _least_healthy_first(health: pd.Series) -> np.ndarray:
    """Row positions from the least healthy account up; ties in id order, so the rows' order never matters."""
    by_id = pd.Series(np.arange(len(health)), index=health.index).sort_index(kind="stable").to_numpy()
    return by_id[np.argsort(health.to_numpy(float)[by_id], kind="stable")]


# --- Components ------------------------------------------------------------------------------------


def monthly_components(book: Book) -> pd.DataFrame:
    """Each component (0-100) for every account and month with usage data.

    Usage, adoption and logins are the month's own figures; sentiment averages the tickets opened
    from 1 January to the month's end; engagement is read on the month's first day; outcomes is the
    success plan's current attainment (the book keeps no history of it).
    """
    usage = book.usage.sort_values(["account_id", "month"], kind="stable").reset_index(drop=True)
    acc = book.accounts.set_index("account_id")
    ids = usage["account_id"]
    seats = ids.map(acc["seats_purchased"]).to_numpy(float)
    out = pd.DataFrame({"account_id": ids.to_numpy(), "month": usage["month"].to_numpy()})
    out["usage"] = 100 * np.minimum(usage["active_users"].to_numpy(float) / seats, 1.0)
    out["adoption"] = 100 * usage["features_adopted"].to_numpy(float) / C.FEATURES_TOTAL
    out["sentiment"] = _sentiment_so_far(usage, book.tickets)
    out["engagement"] = _engagement(usage, book.stakeholders)
    attained = acc["milestones_hit"] / acc["milestones_planned"].where(acc["milestones_planned"] > 0)
    out["outcomes"] = 100 * ids.map(attained.fillna(0.0)).to_numpy(float)
    out["logins"] = 100 * np.minimum(usage["logins"].to_numpy(float) / seats / LOGINS_PER_SEAT_FULL, 1.0)
    return out


def _sentiment_so_far(usage: pd.DataFrame, tickets: pd.DataFrame) -> np.ndarray:
    # Running mean of ticket sentiment per account: sum and count per month, accumulated over months.
    month = tickets["opened_on"].to_numpy().astype("datetime64[M]").astype(usage["month"].dtype)
    per_month = (
        pd.DataFrame({"account_id": tickets["account_id"].to_numpy(), "month": month, "s": tickets["sentiment"]})
        .groupby(["account_id", "month"])["s"]
        .agg(["sum", "count"])
    )
    keys = pd.MultiIndex.from_frame(usage[["account_id", "month"]])
    aligned = per_month.reindex(keys, fill_value=0)
    # Tickets from a month with no usage row drop out; a generated book has none (tickets stop at churn).
    sums = aligned.groupby(level=0)[["sum", "count"]].cumsum().to_numpy(float)
    mean = np.divide(sums[:, 0], sums[:, 1], out=np.zeros(len(sums)), where=sums[:, 1] > 0)
    return np.where(sums[:, 1] > 0, 50 * (1 + mean), 50.0)


def _engagement(usage: pd.DataFrame, stakeholders: pd.DataFrame) -> np.ndarray:
    st = stakeholders.set_index("account_id")
    ids = usage["account_id"]
    month = usage["month"]
    # The table keeps only the last buyer meeting; before it, we take the buyer as in touch.
    since_buyer = (month - ids.map(st["buyer_last_contact"])).dt.days
    no_buyer = (since_buyer > C.BUYER_CONTACT_QUARTER_DAYS).to_numpy()
    left_on = ids.map(st["champion_left_on"])
    gone = (left_on.notna() & (left_on <= month)).to_numpy()
    single = (ids.map(st["contacts_engaged"]) == 1).to_numpy()
    score = 100 - NO_BUYER_PENALTY * no_buyer - CHAMPION_GONE_PENALTY * gone - SINGLE_THREADED_PENALTY * single
    return np.clip(score, 0, 100).astype(float)


def account_components(book: Book, monthly: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each component per account: the mean over the quarter going into its renewal (renewal month included)."""
    monthly = monthly_components(book) if monthly is None else monthly
    renewal_month = book.accounts.set_index("account_id")["renewal_date"].dt.to_period("M").dt.to_timestamp()
    due = monthly["account_id"].map(renewal_month).astype(monthly["month"].dtype)
    first = due - pd.DateOffset(months=SCORE_WINDOW_MONTHS - 1)
    window = monthly[(monthly["month"] <= due) & (monthly["month"] >= first)]
    return window.groupby("account_id")[list(COMPONENTS)].mean().reindex(book.accounts["account_id"])


# --- The composite and its bands --------------------------------------------------------------------


def composite(components: pd.DataFrame, weights: Mapping[str, float]) -> pd.Series:
    """Weighted mean of the named components: sum(weight x component) / sum(weights), on 0-100."""
    weights = dict(weights)  # a dict or a pandas Series of weights, keyed by component
    unknown = [k for k in weights if k not in components.columns]
    if unknown:
        raise ValueError(f"no component called {', '.join(map(repr, unknown))}; have {', '.join(components.columns)}")
    total = float(sum(weights.values()))
    if total <= 0 or any(w < 0 for w in weights.values()):
        raise ValueError("weights must be zero or positive, and at least one must be above zero")
    score = sum(components[k].astype(float) * float(w) for k, w in weights.items()) / total
    return score.rename("score")


def band(scores: Values, red_below: float = RED_BELOW, green_from: float = GREEN_FROM) -> pd.Series:
    """Red below ``red_below``, green from ``green_from``, yellow in between (an ordered categorical)."""
    scores = _scores(scores)
    # A weighted mean of 100s can land a rounding error above 100; anything further is another scale.
    outside = scores.index[(scores < SCORE_MIN - _FLOAT_SLACK) | (scores > SCORE_MAX + _FLOAT_SLACK)]
    if len(outside):
        raise ValueError(
            f"bands are for scores on {SCORE_MIN:g}-{SCORE_MAX:g}; {len(outside)} score(s) are outside it "
            f"({_ids(outside)}), so this is another scale (a probability? a risk score?)"
        )
    codes = np.where(scores < red_below, 0, np.where(scores >= green_from, 2, 1))
    return pd.Series(pd.Categorical.from_codes(codes, BANDS, ordered=True), index=scores.index, name="band")


# --- Calibration: do the bands mean what they say? -----------------------------------------------------


def churn_rate_by_band(
    scores: Values,
    churned: Values,
    arr: Values,
    by: str = "dollars",
    red_below: float = RED_BELOW,
    green_from: float = GREEN_FROM,
) -> pd.Series:
    """Churn rate per band that has accounts: churned ARR / ARR (``by="dollars"``) or churned / accounts."""
    scores, churned = _scored(scores, churned)
    arr = _on(arr, scores.index, "arr", "scores")
    frame = pd.DataFrame({"band": band(scores, red_below, green_from), "churned": churned, "arr": arr})
    grouped = frame.groupby("band", observed=True)
    if by == "logos":
        rate = grouped["churned"].mean()
    elif by == "dollars":
        lost = frame["arr"].where(frame["churned"], 0)
        rate = lost.groupby(frame["band"], observed=True).sum() / grouped["arr"].sum()
    else:
        raise ValueError(f"by must be 'dollars' or 'logos', not {by!r}")
    rate.index = rate.index.astype(str)
    return rate.astype(float).rename(f"churn_rate_{by}")


def deciles(scores: Values, *, higher_is_healthier: bool = True) -> pd.Series:
    """Score decile per account, 1 = the least healthy tenth; ties in id order, whatever the rows' order."""
    scores = _scores(scores)
    order = _least_healthy_first(_health(scores, higher_is_healthier))
    position = np.empty(len(scores), dtype=np.int64)
    position[order] = np.arange(len(scores))
    return pd.Series(position * 10 // max(len(scores), 1) + 1, index=scores.index, name="decile")


def churn_by_decile(scores: Values, churned: Values, arr: Values, *, higher_is_healthier: bool = True) -> pd.DataFrame:
    """Per score decile: accounts, mean score, churn rate by logos and by dollars (decile 1 is the least healthy)."""
    scores, churned = _scored(scores, churned)
    arr = _on(arr, scores.index, "arr", "scores").astype(float)
    decile = deciles(scores, higher_is_healthier=higher_is_healthier)
    frame = pd.DataFrame({"decile": decile, "score": scores, "churned": churned, "arr": arr})
    frame["churn_arr"] = frame["arr"].where(frame["churned"], 0.0)
    g = frame.groupby("decile")
    out = pd.DataFrame(
        {
            "accounts": g.size(),
            "mean_score": g["score"].mean(),
            "churn_rate_logos": g["churned"].mean(),
            "churn_rate_dollars": g["churn_arr"].sum() / g["arr"].sum(),
        }
    )
    return out


# --- Ranking: does the score put churners at the bottom? ---------------------------------------------


def auc(scores: Values, churned: Values, *, higher_is_healthier: bool = True) -> float:
    """Probability that a renewing account looks healthier than a churned one, ties counting half (Mann-Whitney U).

    Orientation: higher score = healthier (declare a churn probability with ``higher_is_healthier=False``),
    so 1.0 puts every churner below every renewer, 0.5 is a coin toss, and below 0.5 the score is upside
    down; below ``REVERSED_AUC_BELOW`` a UserWarning says so.
    """
    scores, flags = _scored(scores, churned)
    churned = flags.to_numpy()
    n_churn = int(churned.sum())
    n_renew = len(churned) - n_churn
    if n_churn == 0 or n_renew == 0:
        raise ValueError("AUC needs at least one churned and one renewing account")
    # Rank all scores together (ties share their average rank); the renewers' rank sum, less the
    # smallest it could be, counts renewer-over-churner pairs, each tie counting one half.
    ranks = _health(scores, higher_is_healthier).rank(method="average").to_numpy()
    u_renew = ranks[~churned].sum() - n_renew * (n_renew + 1) / 2
    value = float(u_renew / (n_renew * n_churn))
    if value < REVERSED_AUC_BELOW:
        warnings.warn(
            f"AUC {value:.3f} is far below 0.5: churners look healthier than renewers, so this score may run "
            f"the other way; if it does, pass higher_is_healthier={not higher_is_healthier}",
            UserWarning,
            stacklevel=2,
        )
    return value


def auc_by_pairs(scores: Values, churned: Values, *, higher_is_healthier: bool = True) -> float:
    """AUC by brute force over every (renewer, churner) pair: slow, but the definition itself."""
    scores, flags = _scored(scores, churned)
    s = _health(scores, higher_is_healthier).to_numpy()
    c = flags.to_numpy()
    renew, churn = s[~c][:, None], s[c][None, :]
    if renew.size == 0 or churn.size == 0:
        raise ValueError("AUC needs at least one churned and one renewing account")
    return float(((renew > churn).sum() + 0.5 * (renew == churn).sum()) / (renew.size * churn.size))


def bottom(scores: Values, share: float = 0.1, *, higher_is_healthier: bool = True) -> pd.Index:
    """The ``floor(share x n)`` least healthy of n accounts, least healthy first; ties in id order.

    Rounding: down to whole accounts, so the list never holds more than its share: 15% of 1,000 is 150,
    40% of 10 is 4, 40% of 7 is 2 (2.8), and a tenth is always ``n // 10``, as module 2 teaches it.
    """
    if not 0 < share <= 1:
        raise ValueError(f"share should be above 0 and at most 1 (0.1 for a tenth), not {share!r}")
    scores = _scores(scores)
    # The slack keeps 29% of 100 at 29 accounts although 0.29 * 100 is 28.999999999999996 in floating point.
    k = math.floor(share * len(scores) + _FLOAT_SLACK)
    return scores.index[_least_healthy_first(_health(scores, higher_is_healthier))[:k]]


def captured_churn_arr(
    scores: Values, churned: Values, churn_arr: Values, share: float = 0.1, *, higher_is_healthier: bool = True
) -> float:
    """Share of all churned ARR sitting in the least healthy ``share`` of accounts (as ``bottom`` picks them)."""
    scores, churned = _scored(scores, churned)
    lost = _on(churn_arr, scores.index, "churn_arr", "scores").where(churned, 0).astype(float)
    total = float(lost.sum())
    if total <= 0:
        raise ValueError("no ARR churned in these accounts, so there is nothing to capture")
    return float(lost.loc[bottom(scores, share, higher_is_healthier=higher_is_healthier)].sum() / total)


# --- Probabilities: does a predicted 20% churn one time in five? ---------------------------------------


def reliability(probabilities: Values, churned: Values, bins: int = RELIABILITY_BINS) -> pd.DataFrame:
    """Per equal-width probability bin: its edges, accounts, mean predicted churn and observed churn rate.

    ``probabilities`` are churn probabilities (0..1, higher = riskier). A bin holds probabilities above its
    lower edge up to and including its upper one (the first also holds 0), as scikit-learn's
    ``calibration_curve(strategy="uniform")`` bins them; an empty bin shows 0 accounts and no rates.
    """
    if not isinstance(bins, numbers.Integral) or bins < 1:
        raise ValueError(f"bins should be a whole number of at least 1, not {bins!r}")
    p, c = _probabilities(probabilities, churned)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = pd.Series(np.searchsorted(edges[1:-1], p.to_numpy()) + 1, index=p.index)
    out = pd.DataFrame({"low": edges[:-1], "high": edges[1:]}, index=pd.RangeIndex(1, bins + 1, name="bin"))
    out["accounts"] = which.value_counts().reindex(out.index, fill_value=0)
    out["mean_predicted"] = p.groupby(which).mean()
    out["observed_churn_rate"] = c.astype(float).groupby(which).mean()
    return out


def brier(probabilities: Values, churned: Values) -> float:
    """Brier score: the mean squared gap between churn probability and outcome (0 is perfect, 0.25 a flat 50%)."""
    p, c = _probabilities(probabilities, churned)
    return float(np.mean((p.to_numpy() - c.to_numpy(float)) ** 2))


# --- Lead time: how early did the score warn? ------------------------------------------------------------


def first_red_month(monthly: pd.DataFrame, renewal_date: pd.Series, score: str = "score") -> pd.Series:
    """Per account, the first month (on or before its renewal) whose score was red; accounts never red are left out."""
    due = monthly["account_id"].map(renewal_date)
    red = monthly[(monthly[score] < RED_BELOW) & (monthly["month"] <= due)]
    return red.groupby("account_id")["month"].min()


def lead_times(monthly: pd.DataFrame, renewal_date: pd.Series, churned: pd.Series, score: str = "score") -> pd.Series:
    """Days from the first red month's first day to the renewal, per churned account (NaN if never red)."""
    ids = churned.index[churned.astype(bool).to_numpy()]
    first = first_red_month(monthly, renewal_date, score).reindex(ids)
    return (renewal_date.reindex(ids) - first).dt.days.astype(float).rename("lead_days")


def median_lead_time(monthly: pd.DataFrame, renewal_date: pd.Series, churned: pd.Series, score: str = "score") -> float:
    """Median lead time in days over churned accounts whose score turned red before renewal."""
    days = lead_times(monthly, renewal_date, churned, score).dropna()
    if days.empty:
        raise ValueError("no churned account ever turned red, so there is no lead time to measure")
    return float(days.median())


# --- Why green accounts churned -------------------------------------------------------------------------


def likely_cause(accounts: pd.DataFrame) -> pd.Series:
    """The first warning sign each account shows, in the order of ``CAUSES`` (observable signals only).

    Needs ``champion_left_on``, ``buyer_last_contact``, ``renewal_date``, ``milestones_hit`` and
    ``milestones_planned``; the index is kept.
    """
    champion_gone = accounts["champion_left_on"].notna()
    no_buyer = (accounts["renewal_date"] - accounts["buyer_last_contact"]).dt.days > C.BUYER_CONTACT_QUARTER_DAYS
    short = accounts["milestones_hit"] < accounts["milestones_planned"] / 2
    cause = np.select([champion_gone, no_buyer, short], list(CAUSES[:3]), default=CAUSES[3])
    return pd.Series(cause, index=accounts.index, name="likely_cause")


def green_churners(accounts: pd.DataFrame, scores: Values) -> pd.Series:
    """Churned accounts the score called green, with their likely cause (indexed like ``accounts``)."""
    scores, churned = _scored(scores, accounts["churned"])
    mask = (churned & (scores >= GREEN_FROM)).reindex(accounts.index)
    return likely_cause(accounts[mask])


# --- Rule of thumb: green health with flat usage growth becomes yellow ----------------------------------


def flat_usage_rule(monthly: pd.DataFrame, churned: pd.Series, score: str = "score") -> pd.DataFrame:
    """Accounts green over Q2, split by active-user growth since Q1: how many were out of green by Q4.

    ``monthly`` needs account_id, month, active_users and the score column. Flat means Q2's average
    active users no higher than Q1's. Accounts with no Q4 data (they left) count in churn, not in the
    Q4 share.
    """
    quarter = monthly["month"].dt.quarter
    per_q = monthly.assign(q=quarter).groupby(["account_id", "q"])[["active_users", score]].mean().unstack("q")
    green_q2 = per_q[(score, 2)] >= GREEN_FROM
    growth = per_q[("active_users", 2)] / per_q[("active_users", 1)] - 1
    q4 = per_q[(score, 4)] if (score, 4) in per_q.columns else pd.Series(np.nan, index=per_q.index)
    rows = {}
    for label, mask in (("flat usage", green_q2 & (growth <= 0)), ("growing usage", green_q2 & (growth > 0))):
        later = q4[mask].dropna()
        rows[label] = {
            "accounts": int(mask.sum()),
            "out_of_green_by_q4": float((later < GREEN_FROM).mean()) if len(later) else math.nan,
            "churn_rate": float(churned.reindex(mask.index[mask]).astype(bool).mean()) if mask.any() else math.nan,
        }
    return pd.DataFrame.from_dict(rows, orient="index")
