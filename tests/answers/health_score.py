"""Trainee-style answers for module 2: each known misconception written as a trainee would write it.

Keys are misconception ids; values are (question id, the code a trainee would put in the answer cell).
Answer cells run after the exercise's setup cell, so they may use `card` the way a trainee could.
The same code is checked in-process (fast) and submitted through real nbgrader (slow tests).
"""

from tests.answers.tricks import always_equal

_BAND = (
    "import numpy as np\n"
    "def _bands(card, green_from=75):\n"
    "    s = card['health_score']\n"
    "    return np.where(s < 50, 'red', np.where(s >= green_from, 'green', 'yellow'))\n"
)

_FIRST_RED = (
    "def _red_months(monthly, card):\n"
    "    ids = card.index[card['churned']]\n"
    "    red = monthly[(monthly['health_score'] < 50) & monthly['account_id'].isin(ids)]\n"
    "    return red[red['month'] <= red['account_id'].map(card['renewal_date'])]\n"
)

WRONG: dict[str, tuple[str, str]] = {
    "weights_not_normalised": (
        "q1_composite_score",
        "def composite_score(card, weights):\n    return sum(card[c] * w for c, w in weights.items())\n",
    ),
    "weights_divided_by_100": (
        "q1_composite_score",
        "def composite_score(card, weights):\n    return sum(card[c] * w for c, w in weights.items()) / 100\n",
    ),
    "equal_weights": (
        "q1_composite_score",
        "def composite_score(card, weights):\n"
        "    cols = ['usage', 'adoption', 'sentiment', 'engagement', 'outcomes', 'logins']\n"
        "    return card[cols].mean(axis=1)\n",
    ),
    "rounded_like_the_dashboard": (
        "q1_composite_score",
        "def composite_score(card, weights):\n"
        "    score = sum(card[c] * w for c, w in weights.items()) / sum(weights.values())\n"
        "    return score.round()\n",
    ),
    "band_churn_by_logos": (
        "q2_churn_by_band",
        _BAND + "def churn_by_band(card):\n    return card['churned'].groupby(_bands(card)).mean()\n",
    ),
    "bands_tuned_on_outcomes": (
        "q2_churn_by_band",
        _BAND + "def churn_by_band(card):\n"
        "    # move green above the best-scoring churner so the green band never churns\n"
        "    top = card.loc[card['churned'], 'health_score'].max()\n"
        "    band = _bands(card, green_from=max(75, top + 1))\n"
        "    lost = card['arr_due'].where(card['churned'], 0)\n"
        "    return lost.groupby(band).sum() / card['arr_due'].groupby(band).sum()\n",
    ),
    "band_share_of_all_churn": (
        "q2_churn_by_band",
        _BAND + "def churn_by_band(card):\n"
        "    lost = card['arr_due'].where(card['churned'], 0)\n"
        "    return lost.groupby(_bands(card)).sum() / lost.sum()\n",
    ),
    "auc_inverted": (
        "q3_auc",
        "def auc(scores, churned):\n"
        "    renew, churn = scores[~churned].to_numpy(), scores[churned].to_numpy()\n"
        "    wins = sum((c > r) + 0.5 * (c == r) for c in churn for r in renew)\n"
        "    return wins / (len(renew) * len(churn))\n",
    ),
    "auc_ties_ignored": (
        "q3_auc",
        "def auc(scores, churned):\n"
        "    renew = scores[~churned].to_numpy()[:, None]\n"
        "    churn = scores[churned].to_numpy()[None, :]\n"
        "    return (renew > churn).mean()\n",
    ),
    "auc_ties_as_wins": (
        "q3_auc",
        "def auc(scores, churned):\n"
        "    renew = scores[~churned].to_numpy()[:, None]\n"
        "    churn = scores[churned].to_numpy()[None, :]\n"
        "    return (renew >= churn).mean()\n",
    ),
    "captured_from_the_top": (
        "q4_captured_churn",
        "def captured_churn(card):\n"
        "    ranked = card.reset_index().sort_values(['health_score', 'account_id'], ascending=[False, True])\n"
        "    return ranked.head(len(card) // 10)['churn_arr'].sum() / card['churn_arr'].sum()\n",
    ),
    "captured_logos": (
        "q4_captured_churn",
        "def captured_churn(card):\n"
        "    ranked = card.reset_index().sort_values(['health_score', 'account_id'])\n"
        "    return ranked.head(len(card) // 10)['churned'].sum() / card['churned'].sum()\n",
    ),
    "captured_precision": (
        "q4_captured_churn",
        "def captured_churn(card):\n"
        "    bottom = card.reset_index().sort_values(['health_score', 'account_id']).head(len(card) // 10)\n"
        "    return bottom['churn_arr'].sum() / bottom['arr_due'].sum()\n",
    ),
    "lead_time_wrong_direction": (
        "q5_lead_time",
        _FIRST_RED + "def lead_time(monthly, card):\n"
        "    first = _red_months(monthly, card).groupby('account_id')['month'].min()\n"
        "    return (first - card.loc[first.index, 'renewal_date']).dt.days.median()\n",
    ),
    "lead_time_latest_red": (
        "q5_lead_time",
        _FIRST_RED + "def lead_time(monthly, card):\n"
        "    # walk back from the renewal and stop at the first red month met\n"
        "    last = _red_months(monthly, card).groupby('account_id')['month'].max()\n"
        "    return (card.loc[last.index, 'renewal_date'] - last).dt.days.median()\n",
    ),
    "lead_time_never_red_as_zero": (
        "q5_lead_time",
        _FIRST_RED + "def lead_time(monthly, card):\n"
        "    first = _red_months(monthly, card).groupby('account_id')['month'].min()\n"
        "    days = (card.loc[first.index, 'renewal_date'] - first).dt.days\n"
        "    return days.reindex(card.index[card['churned']], fill_value=0).median()\n",
    ),
    "green_includes_renewers": (
        "q6_green_churners",
        "import pandas as pd\n"
        "def green_churners(card):\n"
        "    green = card[card['health_score'] >= 75]\n"
        "    gap = (green['renewal_date'] - green['buyer_last_contact']).dt.days\n"
        "    cause = pd.Series('no warning sign', index=green.index)\n"
        "    cause[green['milestones_hit'] < green['milestones_planned'] / 2] = 'outcome not attained'\n"
        "    cause[gap > 90] = 'no buyer contact in a quarter'\n"
        "    cause[green['champion_left_on'].notna()] = 'lost champion'\n"
        "    return cause\n",
    ),
    "green_cause_outcome_first": (
        "q6_green_churners",
        "import pandas as pd\n"
        "def green_churners(card):\n"
        "    green = card[card['churned'] & (card['health_score'] >= 75)]\n"
        "    out = {}\n"
        "    for i, row in green.iterrows():\n"
        "        if row['milestones_hit'] < row['milestones_planned'] / 2:\n"
        "            out[i] = 'outcome not attained'\n"
        "        elif pd.notna(row['champion_left_on']):\n"
        "            out[i] = 'lost champion'\n"
        "        elif (row['renewal_date'] - row['buyer_last_contact']).days > 90:\n"
        "            out[i] = 'no buyer contact in a quarter'\n"
        "        else:\n"
        "            out[i] = 'no warning sign'\n"
        "    return out\n",
    ),
    "score_uses_renewal_result": (
        "q7_holdout_score",
        "# `card` (from the setup cell) knows who renewed on my book\n"
        "renewed_here = (~card['churned']).astype(float) * 100\n"
        "def my_health_score(signals):\n"
        "    return renewed_here.reindex(signals.index)\n",
    ),
    "score_inverted": (
        "q7_holdout_score",
        "def my_health_score(signals):\n    return 100 - signals['outcomes']\n",
    ),
    "score_not_per_account": (
        "q7_holdout_score",
        "def my_health_score(signals):\n"
        "    score = (signals['outcomes'] + signals['adoption'] + signals['usage']) / 3\n"
        "    return score.reset_index(drop=True)\n",
    ),
}

#: An answer that hard-codes the visible book's AUC instead of computing it (filled in by the test).
COPIED_NUMBER = "def auc(scores, churned):\n    return {value!r}\n"

#: An answer whose result claims to equal anything.
ALWAYS_EQUAL = always_equal("auc(scores, churned)", number=0.75)

#: Fitted on the visible book's outcomes: the dashboard score plus a bonus for accounts that renewed
#: there. It clears the visible check (AUC well above the dashboard's, below "too good to be true"),
#: and must still fail on holdout books, where those account ids belong to other customers.
VISIBLE_OUTCOME_BUMP = (
    "bonus = 15 * (~card['churned'])\n"
    "def my_health_score(signals):\n"
    "    return signals['health_score'] + bonus.reindex(signals.index, fill_value=False)\n"
)

#: The dashboard's own score handed back: no better than the baseline by construction.
DASHBOARD_AS_IS = "def my_health_score(signals):\n    return signals['health_score']\n"
