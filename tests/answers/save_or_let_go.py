"""Trainee-style answers for module 4: each known misconception written as a trainee would write it.

Keys are misconception ids; values are (question id, the code a trainee would put in the answer cell).
The same code is checked in-process (fast) and submitted through real nbgrader (slow tests).
"""

from tests.answers.tricks import always_equal

_CLUES = (
    "    share = (p['missing_feature_tickets'] / p['tickets'].where(p['tickets'] > 0)).fillna(0)\n"
    "    clues = ((p['industry'] == 'Field Services').astype(int) + (p['onboarding_days'] >= 90).astype(int)\n"
    "             + (share >= 0.3).astype(int))\n"
)
_LEVER = (
    "    d = desk.set_index('account_id')\n"
    "    lever = pd.Series('close the value gap', index=d.index)\n"
    "    lever[~d['champion_in_place'] | (d['days_since_buyer_met'] > 90)] = 'rebuild sponsorship'\n"
    "    lever[d['fit_gap']] = 'clean exit'\n"
)
_FILL = (
    "    plan, used = [], 0\n"
    "    for account_id in order:\n"
    "        hours = d.loc[account_id, 'hours_needed']\n"
    "        if used + hours <= budget:\n"
    "            plan.append(account_id)\n"
    "            used += hours\n"
    "    return plan\n"
)

WRONG: dict[str, tuple[str, str]] = {
    "forecast_counted_accounts": (
        "q1_forecast_vs_outcome",
        "def forecast_vs_outcome(renewals):\n"
        "    fate = renewals['outcome'].replace({'expanded': 'renewed'})\n"
        "    table = pd.crosstab(renewals['csm_forecast'], fate)\n"
        "    return table.reindex(index=['commit', 'likely', 'at-risk', 'lost'],\n"
        "                         columns=['renewed', 'contracted', 'churned'], fill_value=0)\n",
    ),
    "forecast_used_arr_after": (
        "q1_forecast_vs_outcome",
        "def forecast_vs_outcome(renewals):\n"
        "    r = renewals.assign(fate=renewals['outcome'].replace({'expanded': 'renewed'}))\n"
        "    table = r.pivot_table(index='csm_forecast', columns='fate', values='arr_after', aggfunc='sum',\n"
        "                          fill_value=0)\n"
        "    return table.reindex(index=['commit', 'likely', 'at-risk', 'lost'],\n"
        "                         columns=['renewed', 'contracted', 'churned'], fill_value=0)\n",
    ),
    "surprise_used_arr_after": (
        "q2_surprises",
        "def surprises(renewals):\n"
        "    churned = renewals['outcome'] == 'churned'\n"
        "    safe = renewals['csm_forecast'].isin(['commit', 'likely'])\n"
        "    lost = renewals['csm_forecast'] == 'lost'\n"
        "    return {'called_safe_churned': renewals.loc[safe & churned, 'arr_after'].sum(),\n"
        "            'called_lost_renewed': renewals.loc[lost & ~churned, 'arr_after'].sum()}\n",
    ),
    "surprise_commit_only": (
        "q2_surprises",
        "def surprises(renewals):\n"
        "    churned = renewals['outcome'] == 'churned'\n"
        "    commit = renewals['csm_forecast'] == 'commit'\n"
        "    lost = renewals['csm_forecast'] == 'lost'\n"
        "    return {'called_safe_churned': renewals.loc[commit & churned, 'arr_due'].sum(),\n"
        "            'called_lost_renewed': renewals.loc[lost & ~churned, 'arr_due'].sum()}\n",
    ),
    "surprise_at_risk_as_lost": (
        "q2_surprises",
        "def surprises(renewals):\n"
        "    churned = renewals['outcome'] == 'churned'\n"
        "    safe = renewals['csm_forecast'].isin(['commit', 'likely'])\n"
        "    risky = renewals['csm_forecast'].isin(['at-risk', 'lost'])\n"
        "    return {'called_safe_churned': renewals.loc[safe & churned, 'arr_due'].sum(),\n"
        "            'called_lost_renewed': renewals.loc[risky & ~churned, 'arr_due'].sum()}\n",
    ),
    "triage_on_health_alone": (
        "q3_triage",
        "def triage(pipeline):\n"
        "    h = pipeline.set_index('account_id')['health_score']\n"
        "    return h.map(lambda s: 'commit' if s >= 75 else 'likely' if s >= 60\n"
        "                 else 'at-risk' if s >= 45 else 'lost')\n",
    ),
    "triage_one_call": (
        "q3_triage",
        "def triage(pipeline):\n    return pd.Series('at-risk', index=pipeline['account_id'])\n",
    ),
    "triage_wrong_accounts": (
        "q3_triage",
        "def triage(pipeline):\n"
        "    p = pipeline[pipeline['arr_due'] >= 20000].set_index('account_id')\n"
        "    worry = (p['milestones_hit'] / p['milestones_planned'] < 0.6).astype(int) + (~p['champion_in_place'])\n"
        "    return worry.map({0: 'commit', 1: 'at-risk', 2: 'lost'})\n",
    ),
    "fit_gap_any_feature_request": (
        "q4_fit_gap",
        "def fit_gap(pipeline):\n    return pipeline.set_index('account_id')['missing_feature_tickets'] > 0\n",
    ),
    "fit_gap_industry_alone": (
        "q4_fit_gap",
        "def fit_gap(pipeline):\n    return pipeline.set_index('account_id')['industry'] == 'Field Services'\n",
    ),
    "fit_gap_slow_onboarding_alone": (
        "q4_fit_gap",
        "def fit_gap(pipeline):\n    return pipeline.set_index('account_id')['onboarding_days'] >= 90\n",
    ),
    "fit_gap_low_health": (
        "q4_fit_gap",
        "def fit_gap(pipeline):\n    return pipeline.set_index('account_id')['health_score'] < 50\n",
    ),
    "save_biggest_first": (
        "q5_save_plan",
        "def save_plan(desk, budget):\n"
        "    d = desk.set_index('account_id')\n"
        "    order = d['arr_due'].sort_values(ascending=False, kind='stable').index\n" + _FILL,
    ),
    "save_regardless_of_fit": (
        "q5_save_plan",
        "def save_plan(desk, budget):\n"
        "    d = desk.set_index('account_id')\n"
        "    order = (d['arr_due'] / d['hours_needed']).sort_values(ascending=False).index\n" + _FILL,
    ),
    "save_over_budget": (
        "q5_save_plan",
        "def save_plan(desk, budget):\n"
        "    d = desk[~desk['fit_gap'] & desk['sponsor_reachable']]\n"
        "    return list(d['account_id'])\n",
    ),
    "save_not_on_desk": (
        "q5_save_plan",
        "def save_plan(desk, budget):\n"
        "    d = desk[~desk['fit_gap'] & desk['sponsor_reachable']].reset_index(drop=True)\n"
        "    return list(d.index[:3])\n",
    ),
    "discount_as_lever": (
        "q6_save_lever",
        "def save_lever(desk):\n"
        + _LEVER
        + "    lever[(d['customer_says'] == 'too expensive') & ~d['fit_gap']] = 'offer a discount'\n"
        "    return lever\n",
    ),
    "lever_takes_customer_at_their_word": (
        "q6_save_lever",
        "def save_lever(desk):\n" + _LEVER + "    lever[d['customer_says'] == 'missing features'] = 'clean exit'\n"
        "    return lever\n",
    ),
    "every_claim_is_a_save": (
        "q7_real_saves",
        "def real_saves(claims):\n    return pd.Series(True, index=claims['account_id'])\n",
    ),
    "save_never_at_risk": (
        "q7_real_saves",
        "def real_saves(claims):\n"
        "    c = claims.set_index('account_id')\n"
        "    return c['save_play_run'] & (c['outcome'] != 'churned') & c['csm_forecast'].isin(['at-risk', 'lost'])\n",
    ),
}

#: Answers that read the trainee's own book (its outcomes, or its hidden truth generated from the seed):
#: perfect on that book, and no better than chance on a book the trainee never saw.
READS_OWN_BOOK: dict[str, tuple[str, str]] = {
    "q3_triage": (
        "triage",
        "def triage(pipeline):\n"
        "    known = renewals.set_index('account_id')['outcome']\n"
        "    fate = pipeline['account_id'].map(known)\n"
        "    return pd.Series(['lost' if f == 'churned' else 'commit' for f in fate], index=pipeline['account_id'])\n",
    ),
    "q4_fit_gap": (
        "fit_gap",
        "def fit_gap(pipeline):\n"
        "    from csm_academy.book.generate import generate_book\n"
        "    from csm_academy.lessons.save_or_let_go import LESSON\n"
        "    truth = generate_book(LESSON.trainee_seed(), 2000).truth.set_index('account_id')\n"
        "    flags = pipeline['account_id'].map(truth['fit'] == 'mis-sold').fillna(False)\n"
        "    return flags.set_axis(pipeline['account_id'])\n",
    ),
    "q5_save_plan": (
        "save_plan",
        "def save_plan(desk, budget):\n"
        "    import numpy as np\n"
        "    truth = ex.book.truth.set_index('account_id')\n"
        "    own_arr = ex.book.renewals.set_index('account_id')['arr_due']\n"
        "    r = truth['churn_risk']\n"
        "    worth = own_arr * (r - 1 / (1 + np.exp(-(np.log(r / (1 - r)) - 1.6)))) * truth['savable']\n"
        "    d = desk.set_index('account_id')\n"
        "    ranked = (worth / d['hours_needed']).dropna().sort_values(ascending=False).index\n"
        "    plan, used = [], 0\n"
        "    for account_id in ranked:\n"
        "        hours = d.loc[account_id, 'hours_needed']\n"
        "        if not d.loc[account_id, 'fit_gap'] and used + hours <= budget:\n"
        "            plan.append(account_id)\n"
        "            used += hours\n"
        "    return plan\n",
    ),
}

#: A trainee who copies the visible book's figure into the answer (filled in with the real figure).
COPIED_NUMBER = "def surprises(renewals):\n    return {value!r}\n"

#: An answer whose result claims to equal anything.
ALWAYS_EQUAL = always_equal(
    "surprises(renewals)", "AlwaysEqual(called_safe_churned=0, called_lost_renewed=0)", mapping=True, number=0.0
)

#: A full-marks written reply to the cancelling customer (graded by hand against the rubric).
WRITTEN_ANSWER = (
    "Thank you for telling us straight. Looking at your first year, the issue is not one missing feature: "
    "your core workflow is field scheduling and dispatch, which our product was never built for, and it took "
    "your team four months to reach a first outcome. I will not offer you a discount to stay, because it would "
    "not fix that. We will help you leave cleanly: a full data export, help moving to a tool that fits, and no "
    "penalty on the notice. I am also passing what you told us to our sales and product leaders so we qualify "
    "the next customer like you properly. If we build for this workflow, I would like to call you first."
)
