"""Trainee-style answers for module 3: each known misconception written as a trainee would write it.

Keys are misconception ids; values are (question id, the code a trainee would put in the answer cell).
The same code is checked in-process (fast) and submitted through real nbgrader (slow tests).
"""

from tests.answers.tricks import always_equal

_VALUE = (
    "    value = (p['active_users'] / p['seats_purchased'] >= 0.7) & "
    "(p['milestones_hit'] / p['milestones_planned'] >= 0.6)\n"
)

WRONG: dict[str, tuple[str, str]] = {
    "utilisation_against_active_users": (
        "q1_seat_utilisation",
        "def seat_utilisation(accounts, usage):\n"
        "    users = usage.groupby('account_id')['active_users']\n"
        "    return (users.mean() / users.max()).reindex(accounts['account_id']).fillna(0)\n",
    ),
    "utilisation_summed_over_months": (
        "q1_seat_utilisation",
        "def seat_utilisation(accounts, usage):\n"
        "    total = usage.groupby('account_id')['active_users'].sum()\n"
        "    seats = accounts.set_index('account_id')['seats_purchased']\n"
        "    return total.reindex(seats.index).fillna(0) / seats\n",
    ),
    "logins_as_proof_of_value": (
        "q2_value_proven",
        "def value_proven(pipeline):\n"
        "    p = pipeline.set_index('opportunity_id')\n"
        "    busy = p['logins'] / p['seats_purchased'] >= 0.7\n"
        "    return busy & (p['milestones_hit'] / p['milestones_planned'] >= 0.6)\n",
    ),
    "adoption_without_outcome": (
        "q2_value_proven",
        "def value_proven(pipeline):\n"
        "    p = pipeline.set_index('opportunity_id')\n"
        "    return p['active_users'] / p['seats_purchased'] >= 0.7\n",
    ),
    "sponsor_interest_as_funding": (
        "q3_criteria_met",
        "def criteria_met(pipeline):\n"
        "    p = pipeline.set_index('opportunity_id')\n"
        f"{_VALUE}"
        "    new = p['use_case'].str.startswith('New ')\n"
        "    return value.astype(int) + new.astype(int) + p['sponsor_interest'].astype(int)\n",
    ),
    "any_use_case_counts": (
        "q3_criteria_met",
        "def criteria_met(pipeline):\n"
        "    p = pipeline.set_index('opportunity_id')\n"
        f"{_VALUE}"
        "    has_use_case = p['use_case'].notna()\n"
        "    return value.astype(int) + has_use_case.astype(int) + p['sponsor_funded'].astype(int)\n",
    ),
    "two_of_three_is_yes": (
        "q4_verdict",
        "def verdict(sheet):\n"
        "    s = sheet.set_index('opportunity_id')\n"
        "    met = s['value_proven'].astype(int) + s['real_use_case'].astype(int) + s['sponsor_funded'].astype(int)\n"
        "    return met.map({3: 'pursue', 2: 'pursue', 1: 'maybe', 0: 'no'})\n",
    ),
    "one_of_three_is_maybe": (
        "q4_verdict",
        "def verdict(sheet):\n"
        "    s = sheet.set_index('opportunity_id')\n"
        "    met = s['value_proven'].astype(int) + s['real_use_case'].astype(int) + s['sponsor_funded'].astype(int)\n"
        "    return met.map({3: 'pursue', 2: 'maybe', 1: 'maybe', 0: 'no'})\n",
    ),
    "contraction_counts_lost_proposals": (
        "q5_contraction_by_value",
        "def contraction_by_value(closed, renewals):\n"
        "    rows = closed.merge(renewals, on='account_id')\n"
        "    contracted = rows['outcome'] == 'contracted'\n"
        "    return {'without proven value': contracted[~rows['value_proven']].mean(),\n"
        "            'with proven value': contracted[rows['value_proven']].mean()}\n",
    ),
    "contraction_counts_churn": (
        "q5_contraction_by_value",
        "def contraction_by_value(closed, renewals):\n"
        "    won = closed[closed['stage'] == 'won'].merge(renewals, on='account_id')\n"
        "    shrank = won['outcome'].isin(['contracted', 'churned'])\n"
        "    return {'without proven value': shrank[~won['value_proven']].mean(),\n"
        "            'with proven value': shrank[won['value_proven']].mean()}\n",
    ),
    "automatic_credited_to_csm": (
        "q6_expansion_by_source",
        "import pandas as pd\n"
        "def expansion_by_source(ledger):\n"
        "    won = ledger[ledger['stage'] == 'won']\n"
        "    credited = won.groupby('csm')['amount_arr'].sum()\n"
        "    return pd.DataFrame({'csm_influenced': credited, 'automatic': 0})\n",
    ),
    "lost_proposals_credited": (
        "q6_expansion_by_source",
        "import pandas as pd\n"
        "def expansion_by_source(ledger):\n"
        "    influenced = ledger[ledger['source'] == 'CSM'].groupby('csm')['amount_arr'].sum()\n"
        "    automatic = ledger[ledger['source'] == 'usage tier'].groupby('csm')['amount_arr'].sum()\n"
        "    return pd.DataFrame({'csm_influenced': influenced, 'automatic': automatic}).fillna(0)\n",
    ),
    "not_in_pipeline": (
        "q7_choose_motions",
        "def choose_motions(pipeline, capacity):\n"
        "    p = pipeline.set_index('opportunity_id')\n"
        f"{_VALUE}"
        "    met = value.astype(int) + p['use_case'].str.startswith('New ').astype(int) + p['sponsor_funded']\n"
        "    p['expected'] = p['amount_arr'] * met.map({3: 0.85, 2: 0.5, 1: 0.0, 0: 0.0})\n"
        "    best = p[p['expected'] > 0].sort_values('expected', ascending=False).head(capacity)\n"
        "    return best['account_id'].tolist()\n",
    ),
    "over_capacity": (
        "q7_choose_motions",
        "def choose_motions(pipeline, capacity):\n"
        "    p = pipeline.set_index('opportunity_id')\n"
        f"{_VALUE}"
        "    met = value.astype(int) + p['use_case'].str.startswith('New ').astype(int) + p['sponsor_funded']\n"
        "    return list(p.index[met >= 2])\n",
    ),
    "order_taking": (
        "q7_choose_motions",
        "def choose_motions(pipeline, capacity):\n"
        "    return pipeline.nlargest(capacity, 'amount_arr')['opportunity_id'].tolist()\n",
    ),
    "yes_before_size": (
        "q7_choose_motions",
        "def choose_motions(pipeline, capacity):\n"
        "    p = pipeline.set_index('opportunity_id')\n"
        f"{_VALUE}"
        "    p['met'] = value.astype(int) + p['use_case'].str.startswith('New ').astype(int) + p['sponsor_funded']\n"
        "    workable = p[p['met'] >= 2].sort_values(['met', 'amount_arr'], ascending=False)\n"
        "    return list(workable.index[:capacity])\n",
    ),
}

#: An answer that hard-codes the visible book's contraction rates instead of computing them (filled in by the test).
COPIED_NUMBER = "def contraction_by_value(closed, renewals):\n    return {value!r}\n"

#: An answer whose result claims to equal anything.
ALWAYS_EQUAL = always_equal(
    "contraction_by_value(closed, renewals)",
    "AlwaysEqual({'without proven value': 0, 'with proven value': 0})",
    mapping=True,
    number=0.5,
)

#: Answers to the manually graded written question: a blank one, and one an instructor would mark.
WRITTEN_ANSWER = (
    "I would not book it this quarter. The account uses about 30% of the seats it already pays for and has "
    "not reached its outcome, so value is not proven: at best a maybe, in truth a no. In our book, upsells "
    "made without proven value contracted at the next renewal several times as often as qualified ones, so "
    "this deal would likely come back as a downsell. I would run a 60-day adoption sprint with the champion "
    "to get the existing seats to value, document the outcome with the economic buyer, and bring a proposal "
    "for a real new use case with a funded sponsor next quarter: smaller now, but durable."
)
