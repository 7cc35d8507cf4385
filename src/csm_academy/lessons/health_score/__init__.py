"""Module 2, health-score calibration: the scorecard trainees test, the right answers, and the wrong ones we know."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pandas as pd

from csm_academy.book import variants as V
from csm_academy.book.book import Book
from csm_academy.lessons.health_score.compare import RankingBar, RanksChurners
from csm_academy.metrics import health as H
from csm_academy.questions.compare import ByGroup, Number, PerAccount, PerAccountLabels
from csm_academy.questions.lesson import Lesson, pick
from csm_academy.questions.question import Misconception, Question

ASSIGNMENT = "02_health_score_calibration"
#: The weights behind the dashboard's health score (login-heavy, as many teams start out).
DASHBOARD_WEIGHTS: dict[str, float] = dict(H.VANITY_WEIGHTS)
#: The holdout question: beat the dashboard's AUC by this much on every unseen book.
HOLDOUT_MARGIN = 0.05
#: No honest leading signal ranks this well; a score that does is reading the renewal result.
TOO_GOOD_AUC = 0.97
#: Columns that record what happened at the renewal: never handed to the holdout question.
OUTCOME_COLUMNS: tuple[str, ...] = ("churned", "churn_arr")
CARD_COLUMNS: tuple[str, ...] = (
    "name",
    "segment",
    "renewal_date",
    "arr_due",
    *H.COMPONENTS,
    "health_score",
    "champion_left_on",
    "buyer_last_contact",
    "contacts_engaged",
    "milestones_hit",
    "milestones_planned",
    *OUTCOME_COLUMNS,
)


# --- What the trainee is handed ------------------------------------------------------------------

# A check builds the same views several times (inputs, reference, each misconception): keep the last few
# books' views, keyed by the book object itself, and hand out copies so no caller can alter another's.
_VIEWS: dict[tuple[int, str], tuple[Book, pd.DataFrame]] = {}
_VIEWS_KEPT = 24


def _cached(book: Book, kind: str, build: Callable[[Book], pd.DataFrame]) -> pd.DataFrame:
    key = (id(book), kind)
    hit = _VIEWS.get(key)
    if hit is None or hit[0] is not book:
        if len(_VIEWS) >= _VIEWS_KEPT:
            _VIEWS.pop(next(iter(_VIEWS)))
        hit = (book, build(book))
        _VIEWS[key] = hit
    return hit[1].copy()


def scorecard(book: Book) -> pd.DataFrame:
    """The CS platform's account export per account_id: components, dashboard score, stakeholders, result."""
    return _cached(book, "card", _build_scorecard)


def _build_scorecard(book: Book) -> pd.DataFrame:
    acc = book.accounts.set_index("account_id")
    components = H.account_components(book).round(1)
    st = book.stakeholders.set_index("account_id").reindex(acc.index)
    card = pd.DataFrame(index=acc.index)
    card["name"] = acc["name"].astype(str)
    card["segment"] = acc["segment"].astype(str)
    card["renewal_date"] = acc["renewal_date"]
    card["arr_due"] = book.renewals.set_index("account_id")["arr_due"].reindex(acc.index).astype("int64")
    for c in H.COMPONENTS:
        card[c] = components[c]
    card["health_score"] = H.composite(card[list(H.COMPONENTS)], DASHBOARD_WEIGHTS).round().astype("int64")
    for c in ("champion_left_on", "buyer_last_contact", "contacts_engaged"):
        card[c] = st[c]
    card["milestones_hit"] = acc["milestones_hit"]
    card["milestones_planned"] = acc["milestones_planned"]
    card["churned"] = acc["churned"].astype(bool)
    card["churn_arr"] = acc["churn_arr"].astype("int64")
    card.index.name = "account_id"
    return card[list(CARD_COLUMNS)]


def monthly_scores(book: Book) -> pd.DataFrame:
    """The dashboard's monthly history: one row per account and month, health_score in whole points."""
    return _cached(book, "monthly", _build_monthly)


def _build_monthly(book: Book) -> pd.DataFrame:
    monthly = H.monthly_components(book)
    components = monthly[list(H.COMPONENTS)].round(1)
    usage = book.usage.sort_values(["account_id", "month"], kind="stable").reset_index(drop=True)
    return pd.DataFrame(
        {
            "account_id": monthly["account_id"],
            "month": monthly["month"],
            "active_users": usage["active_users"].to_numpy(),
            "health_score": H.composite(components, DASHBOARD_WEIGHTS).round().astype("int64"),
        }
    )


def holdout_signals(book: Book) -> pd.DataFrame:
    """The scorecard with every renewal-result column removed: all a forward-looking score may use."""
    return scorecard(book).drop(columns=list(OUTCOME_COLUMNS))


def _card(book: Book) -> tuple[pd.DataFrame]:
    return (scorecard(book),)


def _composite_inputs(book: Book) -> tuple[pd.DataFrame, dict[str, float]]:
    return scorecard(book), dict(DASHBOARD_WEIGHTS)


def _auc_inputs(book: Book) -> tuple[pd.Series, pd.Series]:
    card = scorecard(book)
    return card["health_score"].copy(), card["churned"].copy()


def _lead_inputs(book: Book) -> tuple[pd.DataFrame, pd.DataFrame]:
    return monthly_scores(book), scorecard(book)


def _signals(book: Book) -> tuple[pd.DataFrame]:
    return (holdout_signals(book),)


# --- Reference calculations (what the course teaches) --------------------------------------------


def composite_of(card: pd.DataFrame, weights: dict[str, float]) -> pd.Series:
    """Weighted mean of the components named in ``weights``, per account (unrounded)."""
    return H.composite(card, weights)


def churn_by_band_of(card: pd.DataFrame) -> pd.Series:
    """Dollar churn rate per band of the dashboard score: churned ARR / ARR due, bands with accounts only."""
    return H.churn_rate_by_band(card["health_score"], card["churned"], card["arr_due"], by="dollars")


def auc_of(scores: pd.Series, churned: pd.Series) -> float:
    """AUC with higher = healthier: P(renewer outscores churner), ties half."""
    return H.auc(scores, churned)


def captured_of(card: pd.DataFrame) -> float:
    """Share of churned ARR among the n // 10 lowest-scoring accounts (ties: lower account_id first)."""
    return H.captured_churn_arr(card["health_score"], card["churned"], card["churn_arr"], 0.1)


def lead_time_of(monthly: pd.DataFrame, card: pd.DataFrame) -> float:
    """Median days from the first red month to the renewal, over churned accounts that turned red."""
    return H.median_lead_time(monthly, card["renewal_date"], card["churned"], score="health_score")


def green_churners_of(card: pd.DataFrame) -> pd.Series:
    """Churned accounts with a green dashboard score, and the first warning sign each showed."""
    return H.green_churners(card, card["health_score"])


def outcome_weighted_score(signals: pd.DataFrame) -> pd.Series:
    """The course's forward-looking score: outcome-weighted components, no logins, no renewal result."""
    return H.composite(signals, H.OUTCOME_WEIGHTS)


def _bar(book: Book, low: float, high: float, mode: str = "auc") -> RankingBar:
    card = scorecard(book)
    return RankingBar(card["churned"].sort_index(), low, high, mode)


def holdout_bar(book: Book) -> RankingBar:
    """What a holdout score must reach on ``book``: the dashboard's AUC plus the margin (and be honest)."""
    card = scorecard(book)
    baseline = H.auc(card["health_score"], card["churned"])
    return RankingBar(card["churned"].sort_index(), baseline + HOLDOUT_MARGIN, TOO_GOOD_AUC)


# --- Misconceptions: each produces the wrong answer from the same book ---------------------------


def _weights_not_normalised(card: pd.DataFrame) -> pd.Series:
    return sum(card[k] * w for k, w in DASHBOARD_WEIGHTS.items())


def _weights_over_100(card: pd.DataFrame) -> pd.Series:
    return _weights_not_normalised(card) / 100


def _equal_weights(card: pd.DataFrame) -> pd.Series:
    return card[list(H.COMPONENTS)].mean(axis=1)


def _rounded(card: pd.DataFrame) -> pd.Series:
    return card["health_score"].astype(float)


def _band_churn_logos(card: pd.DataFrame) -> pd.Series:
    return H.churn_rate_by_band(card["health_score"], card["churned"], card["arr_due"], by="logos")


def _bands_tuned_on_outcomes(card: pd.DataFrame) -> pd.Series:
    # Green moved to just above the best-scoring churner: no churner can be green on this book.
    top_churner = card.loc[card["churned"], "health_score"].max()
    green_from = max(H.GREEN_FROM, float(top_churner) + 1)
    return H.churn_rate_by_band(card["health_score"], card["churned"], card["arr_due"], green_from=green_from)


def _band_share_of_churn(card: pd.DataFrame) -> pd.Series:
    lost = card["arr_due"].where(card["churned"], 0)
    share = lost.groupby(H.band(card["health_score"]), observed=True).sum() / lost.sum()
    share.index = share.index.astype(str)
    return share


def _auc_inverted(scores: pd.Series, churned: pd.Series) -> float:
    return 1 - H.auc(scores, churned)


def _auc_pairs(scores: pd.Series, churned: pd.Series, tie: float) -> float:
    s, c = scores.to_numpy(float), churned.to_numpy(bool)
    renew, churn = s[~c][:, None], s[c][None, :]
    return float(((renew > churn).sum() + tie * (renew == churn).sum()) / (renew.size * churn.size))


def _captured_top(card: pd.DataFrame) -> float:
    return H.captured_churn_arr(-card["health_score"], card["churned"], card["churn_arr"], 0.1)


def _captured_logos(card: pd.DataFrame) -> float:
    low = H.bottom(card["health_score"], 0.1)
    return float(card.loc[low, "churned"].sum() / card["churned"].sum())


def _captured_precision(card: pd.DataFrame) -> float:
    low = H.bottom(card["health_score"], 0.1)
    return float(card.loc[low, "churn_arr"].sum() / card.loc[low, "arr_due"].sum())


def _lead_negative(monthly: pd.DataFrame, card: pd.DataFrame) -> float:
    return -lead_time_of(monthly, card)


def _lead_latest_red(monthly: pd.DataFrame, card: pd.DataFrame) -> float:
    due = monthly["account_id"].map(card["renewal_date"])
    red = monthly[(monthly["health_score"] < H.RED_BELOW) & (monthly["month"] <= due)]
    last = red.groupby("account_id")["month"].max()
    churned = card.index[card["churned"]]
    last = last[last.index.isin(churned)]
    return float((card.loc[last.index, "renewal_date"] - last).dt.days.median())


def _lead_never_red_as_zero(monthly: pd.DataFrame, card: pd.DataFrame) -> float:
    days = H.lead_times(monthly, card["renewal_date"], card["churned"], score="health_score")
    return float(days.fillna(0).median())


def _green_includes_renewers(card: pd.DataFrame) -> pd.Series:
    return H.likely_cause(card[card["health_score"] >= H.GREEN_FROM])


def _green_outcome_first(card: pd.DataFrame) -> pd.Series:
    green = card[card["churned"] & (card["health_score"] >= H.GREEN_FROM)]
    causes = H.likely_cause(green)
    short = green["milestones_hit"] < green["milestones_planned"] / 2
    return causes.where(~short, "outcome not attained")


def _on_card(fn):
    return lambda book: fn(scorecard(book))


def _on_auc(fn):
    return lambda book: fn(*_auc_inputs(book))


def _on_lead(fn):
    return lambda book: fn(*_lead_inputs(book))


MISCONCEPTIONS: dict[str, Misconception] = {
    m.id: m
    for m in (
        Misconception(
            "weights_not_normalised",
            _on_card(_weights_not_normalised),
            "Your scores run far above 100: you added up weight x component without dividing by the total "
            "weight. A composite is a weighted average, so divide by the sum of the weights to stay on 0-100.",
        ),
        Misconception(
            "weights_divided_by_100",
            _on_card(_weights_over_100),
            "You divided by 100, as if the weights were percentages. These weights are points: divide by "
            "their own total so the score stays on the same 0-100 scale as its components.",
        ),
        Misconception(
            "equal_weights",
            _on_card(_equal_weights),
            "That is a plain average of all six components. The dashboard weighs them differently: multiply "
            "each component by its weight before you average.",
        ),
        Misconception(
            "rounded_like_the_dashboard",
            _on_card(_rounded),
            "Your scores are whole numbers, like the dashboard's display. Keep the unrounded weighted average: "
            "rounding is for the screen, not for the calculation.",
        ),
        Misconception(
            "band_churn_by_logos",
            _on_card(_band_churn_logos),
            "Those rates count accounts (logos). The question asks for dollars: in each band, churned ARR "
            "divided by the ARR that was up for renewal (arr_due), so a lost whale weighs more than a lost "
            "small account.",
        ),
        Misconception(
            "bands_tuned_on_outcomes",
            _on_card(_bands_tuned_on_outcomes),
            "Your green band holds no churned dollars because its threshold was moved above every churner in "
            "this book. Bands tuned on the same renewals you grade them with always look perfect there and "
            "tell you nothing about next year: keep the stated thresholds (red below 50, green from 75).",
        ),
        Misconception(
            "band_share_of_all_churn",
            _on_card(_band_share_of_churn),
            "Your figures add up to 100%: that is where the churned dollars came from, not how often each band "
            "churns. A churn rate divides by the band's own ARR due.",
        ),
        Misconception(
            "auc_inverted",
            _on_auc(_auc_inverted),
            "Your AUC is upside down: it measures how often churners outscore renewers. Higher score means "
            "healthier, so count the pairs where the renewing account scores above the churned one.",
        ),
        Misconception(
            "auc_ties_ignored",
            _on_auc(lambda s, c: _auc_pairs(s, c, 0.0)),
            "Ties count for nothing in your AUC. The dashboard shows whole points, so many renewer-churner "
            "pairs tie; a tie is a coin toss and counts one half.",
        ),
        Misconception(
            "auc_ties_as_wins",
            _on_auc(lambda s, c: _auc_pairs(s, c, 1.0)),
            "You counted ties as wins for the score. A tied pair means the score could not tell the two "
            "accounts apart: it counts one half, not one.",
        ),
        Misconception(
            "captured_from_the_top",
            _on_card(_captured_top),
            "You took the highest-scoring accounts. Churners should score low, so the early-warning list is "
            "the bottom of the ranking: the lowest scores first.",
        ),
        Misconception(
            "captured_logos",
            _on_card(_captured_logos),
            "That is the share of churned accounts (logos) you would catch. The question asks for dollars: "
            "churned ARR in the bottom tenth divided by all churned ARR.",
        ),
        Misconception(
            "captured_precision",
            _on_card(_captured_precision),
            "You divided by the ARR of the bottom tenth, which measures how risky that list is. Captured "
            "churn asks what share of all the churned ARR in the book the list would have found.",
        ),
        Misconception(
            "lead_time_wrong_direction",
            _on_lead(_lead_negative),
            "Your lead time is negative: you subtracted the renewal date from the red month. Lead time is "
            "how long before the renewal the warning came: renewal date minus the first red month.",
        ),
        Misconception(
            "lead_time_latest_red",
            _on_lead(_lead_latest_red),
            "You walked back from the renewal and stopped at the first red month you met, which is the latest "
            "one. The warning counts from the first month the score ever turned red.",
        ),
        Misconception(
            "lead_time_never_red_as_zero",
            _on_lead(_lead_never_red_as_zero),
            "You counted churners that never turned red as zero days of warning. They had no warning at all: "
            "leave them out of the median and report how many there were separately.",
        ),
        Misconception(
            "green_includes_renewers",
            _on_card(_green_includes_renewers),
            "Your list includes green accounts that renewed. The question is about the misses: green accounts "
            "that churned.",
        ),
        Misconception(
            "green_cause_outcome_first",
            _on_card(_green_outcome_first),
            "Check the warning signs in the stated order: a lost champion first, then no buyer contact in "
            "a quarter, then the outcome not attained. A lost champion is the sign a CSM can act on first.",
        ),
        Misconception(
            "score_uses_renewal_result",
            lambda book: _bar(book, TOO_GOOD_AUC, 1.0),
            "Your score separates churners almost perfectly on this book, which no leading signal does: it is "
            "reading the renewal result (churned or churn_arr). That is leakage. On books you have not seen "
            "the result is not there yet, so the score would be worthless when it matters.",
        ),
        Misconception(
            "score_inverted",
            lambda book: _bar(book, 0.0, 0.45),
            "Your score ranks churners above renewers. Higher must mean healthier: a component that rises "
            "with risk needs to be turned around (100 minus it) before it goes into the score.",
        ),
        Misconception(
            "score_not_per_account",
            lambda book: _bar(book, 0.0, 1.0, mode="accounts"),
            "Give exactly one score for each account in `signals`, indexed by account_id (the index of "
            "`signals` is already account_id, so arithmetic on its columns keeps it).",
        ),
    )
}


# --- Edge cases for hidden tests: unusual books, each still a consistent book ---------------------


def _one_churner(book: Book) -> Book:
    """Only the first churned account churns; the others renew (a quiet year)."""
    acc = book.accounts.copy()
    churned = acc.index[acc["churned"]]
    saved = churned[1:]
    acc.loc[saved, "churned"] = False
    acc.loc[saved, "churn_arr"] = 0
    acc["arr_end"] = acc["arr_start"] + acc["expansion_arr"] - acc["contraction_arr"] - acc["churn_arr"]
    return replace(book, accounts=acc)


def _identical_signals(book: Book) -> Book:
    """Every account shows exactly the same signals, so every score ties."""
    usage = book.usage.copy()
    seats = usage["account_id"].map(book.accounts.set_index("account_id")["seats_purchased"])
    usage["active_users"] = seats.to_numpy()
    usage["logins"] = 0
    usage["features_adopted"] = 6
    st = book.stakeholders.copy()
    st["champion_left_on"] = pd.NaT
    st["buyer_last_contact"] = book.accounts.set_index("account_id")["renewal_date"].reindex(st["account_id"]).values
    st["contacts_engaged"] = 3
    acc = book.accounts.copy()
    acc["milestones_hit"] = 4
    return replace(book, usage=usage, stakeholders=st, tickets=book.tickets.iloc[0:0].copy(), accounts=acc)


def _churners_fade_from_january(book: Book) -> Book:
    """Every churned account's usage collapses from January: each should be red from the first month."""
    usage = book.usage.copy()
    churned = set(book.accounts.loc[book.accounts["churned"], "account_id"])
    rows = usage["account_id"].isin(churned)
    usage.loc[rows, ["active_users", "logins", "features_adopted"]] = [1, 0, 1]
    return replace(book, usage=usage)


_EDGES_CARD = (
    ("only one churned account", _one_churner),
    ("no SMB accounts", V.without_segment("SMB")),
)

QUESTIONS: tuple[Question, ...] = (
    Question(
        qid="q1_composite_score",
        answer="composite_score",
        title="Q1 The composite health score",
        points=2,
        inputs=_composite_inputs,
        reference=lambda book: composite_of(*_composite_inputs(book)),
        compare=PerAccount(what="one score per account, indexed by account_id"),
        misconceptions=pick(
            MISCONCEPTIONS,
            "weights_not_normalised",
            "weights_divided_by_100",
            "equal_weights",
            "rounded_like_the_dashboard",
        ),
        hints=(
            "A composite is a weighted average: each component times its weight, added up, then divided by "
            "the total weight.",
            "sum(card[c] * w for c, w in weights.items()) / sum(weights.values()), a Series indexed by account_id.",
        ),
        wrong="Those scores do not match the dashboard's weighted average. Use only the components named in "
        "`weights`, each times its weight, and divide by the total weight.",
        edge_cases=(("only five accounts", V.first_accounts(5)), ("no SMB accounts", V.without_segment("SMB"))),
    ),
    Question(
        qid="q2_churn_by_band",
        answer="churn_by_band",
        title="Q2 Calibration: dollar churn rate by band",
        points=2,
        inputs=_card,
        reference=_on_card(churn_by_band_of),
        compare=ByGroup(what="a churn rate per band, keyed 'red', 'yellow', 'green'"),
        misconceptions=pick(
            MISCONCEPTIONS, "band_churn_by_logos", "bands_tuned_on_outcomes", "band_share_of_all_churn"
        ),
        hints=(
            "Put each account in a band from its health_score first (red below 50, yellow 50 to 74, green 75 "
            "and up); then, per band, compare the ARR that churned with the ARR that was due.",
            "band = np.where(s < 50, 'red', np.where(s >= 75, 'green', 'yellow')); per band: "
            "arr_due of churned accounts summed / arr_due summed.",
        ),
        wrong="Those rates do not match the book. Check the band edges (red below 50, green from 75) and that "
        "each rate is churned ARR over the band's own ARR due.",
        edge_cases=(("no churn at all", V.no_churn), *_EDGES_CARD),
    ),
    Question(
        qid="q3_auc",
        answer="auc",
        title="Q3 Ranking: the AUC of the health score",
        points=3,
        inputs=_auc_inputs,
        reference=_on_auc(auc_of),
        compare=Number(what="a share between 0 and 1, such as 0.71"),
        misconceptions=pick(MISCONCEPTIONS, "auc_inverted", "auc_ties_ignored", "auc_ties_as_wins"),
        hints=(
            "Take every pair of one renewing and one churned account. How often does the renewer score higher? "
            "A tie counts one half.",
            "Split scores into renewers and churners; compare every renewer with every churner (numpy "
            "broadcasting: r[:, None] > c[None, :]); (wins + 0.5 x ties) / number of pairs.",
        ),
        wrong="That is not this score's AUC. Check the orientation (renewers should score higher) and how ties count.",
        edge_cases=(
            ("only one churned account", _one_churner),
            ("every account scoring the same", _identical_signals),
        ),
    ),
    Question(
        qid="q4_captured_churn",
        answer="captured_churn",
        title="Q4 Ranking: churned ARR caught in the bottom tenth",
        points=2,
        inputs=_card,
        reference=_on_card(captured_of),
        compare=Number(what="a share between 0 and 1, such as 0.4"),
        misconceptions=pick(MISCONCEPTIONS, "captured_from_the_top", "captured_logos", "captured_precision"),
        hints=(
            "Picture the weekly at-risk list: the lowest-scoring tenth of the book. What share of all the "
            "dollars that churned was on it?",
            "Sort by health_score then account_id, take the first len(card) // 10 rows; their churn_arr summed "
            "/ churn_arr of the whole book summed.",
        ),
        wrong="That is not the share of churned ARR in the lowest-scoring tenth. Check which end of the ranking "
        "you took, how many accounts (len // 10), and what you divided by.",
        edge_cases=_EDGES_CARD,
    ),
    Question(
        qid="q5_lead_time",
        answer="lead_time",
        title="Q5 Lead time: how early did the score warn?",
        points=2,
        inputs=_lead_inputs,
        reference=_on_lead(lead_time_of),
        compare=Number(abs=0.5, rel=0, what="a number of days"),
        misconceptions=pick(
            MISCONCEPTIONS, "lead_time_wrong_direction", "lead_time_latest_red", "lead_time_never_red_as_zero"
        ),
        hints=(
            "For each churned account, find the first month its health_score was red (below 50), on or before "
            "its renewal. How many days before the renewal was that?",
            "red months of churned accounts -> first month per account -> (renewal_date - month).dt.days -> "
            "median over the accounts that had a red month.",
        ),
        wrong="That is not the median lead time. Use churned accounts only, each one's first red month, and "
        "count days from that month's first day to the renewal date.",
        edge_cases=(
            ("churners fading from January", _churners_fade_from_january),
            ("no SMB accounts", V.without_segment("SMB")),
        ),
    ),
    Question(
        qid="q6_green_churners",
        answer="green_churners",
        title="Q6 The green accounts that churned, and why",
        points=2,
        inputs=_card,
        reference=_on_card(green_churners_of),
        compare=PerAccountLabels(what="a likely cause per account"),
        misconceptions=pick(MISCONCEPTIONS, "green_includes_renewers", "green_cause_outcome_first"),
        hints=(
            "First the misses: churned accounts with a health_score of 75 or more. Then, for each, the first "
            "warning sign in the order given.",
            "champion_left_on not empty -> 'lost champion'; else renewal_date - buyer_last_contact above 90 days "
            "-> 'no buyer contact in a quarter'; else milestones_hit below half of milestones_planned -> "
            "'outcome not attained'; else 'no warning sign'.",
        ),
        wrong="That list does not match the book. Check which accounts are on it (green and churned) and each "
        "cause, with the exact labels given in the task.",
        edge_cases=(("no churn at all", V.no_churn), ("no SMB accounts", V.without_segment("SMB"))),
    ),
    Question(
        qid="q7_holdout_score",
        answer="my_health_score",
        title="Q7 A better score, tested on books you have not seen",
        points=3,
        inputs=_signals,
        reference=holdout_bar,
        compare=RanksChurners(what="one health score per account, indexed by account_id"),
        misconceptions=pick(MISCONCEPTIONS, "score_uses_renewal_result", "score_inverted", "score_not_per_account"),
        hints=(
            "Logins are activity, not value. Which components describe whether the customer is getting what it "
            "bought, and whether the people who sign the renewal are still engaged?",
            "Try a weighted average with no weight on logins and the most on outcomes, adoption and usage; "
            "compare its AUC with the dashboard's on your book before you submit.",
        ),
        wrong=f"Your score does not beat the dashboard's ranking by {HOLDOUT_MARGIN} AUC on this book. Move weight "
        "away from logins and towards the signals of value and sponsorship.",
    ),
)


# --- Practice in the teaching notebook (solutions allowed) ---------------------------------------

#: The five-account example of the teaching notebook: renewers scored 82, 64 and 47; churners 47 and 30.
FIVE_ACCOUNTS = pd.DataFrame(
    {"health_score": [82, 64, 47, 47, 30], "churned": [False, False, False, True, True]},
    index=pd.Index([1, 2, 3, 4, 5], name="account_id"),
)


def _five(fn):
    return lambda book: fn(FIVE_ACCOUNTS["health_score"], FIVE_ACCOUNTS["churned"])


def _green_dollar_churn(book: Book) -> float:
    return float(churn_by_band_of(scorecard(book)).get("green", 0.0))


def _green_logo_churn(book: Book) -> float:
    return float(_band_churn_logos(scorecard(book)).get("green", 0.0))


_SOLUTIONS = {
    "q3_auc": """def auc(scores, churned):
    renew = scores[~churned].to_numpy()[:, None]
    churn = scores[churned].to_numpy()[None, :]
    wins = (renew > churn).sum() + 0.5 * (renew == churn).sum()
    return wins / (renew.size * churn.size)""",
}

PRACTICE: tuple[Question, ...] = (
    Question(
        qid="p1_green_dollar_churn",
        answer="green_dollar_churn",
        title="Practice 1: how often green churns, in dollars",
        points=0,
        kind="value",
        inputs=lambda book: (),
        reference=_green_dollar_churn,
        compare=Number(rel=1e-6, abs=1e-9, what="a share such as 0.02"),
        misconceptions=(
            Misconception("band_churn_by_logos", _green_logo_churn, MISCONCEPTIONS["band_churn_by_logos"].message),
        ),
        hints=QUESTIONS[1].hints,
        solution_code="""green = card[card["health_score"] >= 75]
green_dollar_churn = green.loc[green["churned"], "arr_due"].sum() / green["arr_due"].sum()""",
    ),
    Question(
        qid="p2_five_account_auc",
        answer="five_account_auc",
        title="Practice 2: AUC of five accounts",
        points=0,
        kind="value",
        inputs=lambda book: (),
        reference=_five(auc_of),
        compare=Number(rel=0, abs=0.0005, what="a share such as 0.75"),
        misconceptions=(
            Misconception("auc_inverted", _five(_auc_inverted), MISCONCEPTIONS["auc_inverted"].message),
            Misconception(
                "auc_ties_ignored",
                _five(lambda s, c: _auc_pairs(s, c, 0.0)),
                MISCONCEPTIONS["auc_ties_ignored"].message,
            ),
            Misconception(
                "auc_ties_as_wins",
                _five(lambda s, c: _auc_pairs(s, c, 1.0)),
                MISCONCEPTIONS["auc_ties_as_wins"].message,
            ),
        ),
        hints=("There are 3 x 2 = 6 renewer-churner pairs. Count the pairs the renewer wins.", "(5 + 0.5) / 6"),
        solution_code="five_account_auc = (5 + 0.5 * 1) / 6  # five wins and one tie (47 against 47)",
    ),
    *(q.as_practice(_SOLUTIONS[q.qid]) for q in QUESTIONS if q.qid in _SOLUTIONS),
)


LESSON = Lesson(
    assignment=ASSIGNMENT,
    seed=2207,
    questions=QUESTIONS,
    misconceptions=MISCONCEPTIONS,
    practice_questions=PRACTICE,
)
exercise = LESSON.exercise
practice = LESSON.practice


__all__ = [
    "ASSIGNMENT",
    "DASHBOARD_WEIGHTS",
    "HOLDOUT_MARGIN",
    "MISCONCEPTIONS",
    "PRACTICE",
    "QUESTIONS",
    "exercise",
    "holdout_signals",
    "monthly_scores",
    "practice",
    "scorecard",
]
