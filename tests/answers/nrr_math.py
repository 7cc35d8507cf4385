"""Trainee-style answers for module 1: each known misconception written as a trainee would write it.

Keys are misconception ids; values are (question id, the code a trainee would put in the answer cell).
The same code is checked in-process (fast) and submitted through real nbgrader (slow tests).
"""

from tests.answers.tricks import always_equal

WRONG: dict[str, tuple[str, str]] = {
    "nrr_counts_new_logos": (
        "q1_nrr",
        "def nrr(report):\n    return report['arr_end'].sum() / report['arr_start'].sum()\n",
    ),
    "nrr_average_denominator": (
        "q1_nrr",
        "def nrr(report):\n"
        "    s = report[report['arr_start'] > 0]\n"
        "    avg = (s['arr_start'].sum() + s['arr_end'].sum()) / 2\n"
        "    return s['arr_end'].sum() / avg\n",
    ),
    "nrr_ignores_contraction": (
        "q1_nrr",
        "def nrr(report):\n"
        "    s = report[report['arr_start'] > 0]\n"
        "    return (s['arr_start'].sum() + s['expansion_arr'].sum() - s['churn_arr'].sum()) / s['arr_start'].sum()\n",
    ),
    "grr_includes_expansion": (
        "q2_grr",
        "def grr(report):\n"
        "    s = report[report['arr_start'] > 0]\n"
        "    return s['arr_end'].sum() / s['arr_start'].sum()\n",
    ),
    "grr_ignores_contraction": (
        "q2_grr",
        "def grr(report):\n"
        "    s = report[report['arr_start'] > 0]\n"
        "    return (s['arr_start'].sum() - s['churn_arr'].sum()) / s['arr_start'].sum()\n",
    ),
    "grr_ending_denominator": (
        "q2_grr",
        "def grr(report):\n"
        "    s = report[report['arr_start'] > 0]\n"
        "    kept = s['arr_start'].sum() - s['contraction_arr'].sum() - s['churn_arr'].sum()\n"
        "    return kept / s['arr_end'].sum()\n",
    ),
    "logo_retention_from_dollars": (
        "q3_logo_retention",
        "def logo_retention(report):\n"
        "    s = report[report['arr_start'] > 0]\n"
        "    return 1 - s['churn_arr'].sum() / s['arr_start'].sum()\n",
    ),
    "logo_contraction_as_churn": (
        "q3_logo_retention",
        "def logo_retention(report):\n"
        "    s = report[report['arr_start'] > 0]\n"
        "    lost = s['churned'] | (s['contraction_arr'] > 0)\n"
        "    return 1 - lost.mean()\n",
    ),
    "logo_counts_new_logos": (
        "q3_logo_retention",
        "def logo_retention(report):\n    return 1 - report['churned'].sum() / len(report)\n",
    ),
    "segment_table_counts_new_logos": (
        "q4_retention_by_segment",
        "import pandas as pd\n"
        "def retention_by_segment(report):\n"
        "    g = report.groupby('segment')\n"
        "    s = g[['arr_start', 'expansion_arr', 'contraction_arr', 'churn_arr', 'arr_end']].sum()\n"
        "    return pd.DataFrame({\n"
        "        'nrr': s['arr_end'] / s['arr_start'],\n"
        "        'grr': (s['arr_start'] - s['contraction_arr'] - s['churn_arr']) / s['arr_start'],\n"
        "        'logo_retention': 1 - g['churned'].sum() / g.size(),\n"
        "    })\n",
    ),
    "segment_grr_includes_expansion": (
        "q4_retention_by_segment",
        "import pandas as pd\n"
        "def retention_by_segment(report):\n"
        "    start = report[report['arr_start'] > 0]\n"
        "    g = start.groupby('segment')\n"
        "    s = g[['arr_start', 'arr_end']].sum()\n"
        "    return pd.DataFrame({\n"
        "        'nrr': s['arr_end'] / s['arr_start'],\n"
        "        'grr': s['arr_end'] / s['arr_start'],\n"
        "        'logo_retention': 1 - g['churned'].mean(),\n"
        "    })\n",
    ),
    "mrr_not_annualised": (
        "q5_bridge_from_mrr",
        "def bridge_from_mrr(mrr):\n"
        "    return {'Starting ARR': mrr['mrr_start'].sum(), 'Expansion': mrr['mrr_expansion'].sum(),\n"
        "            'Contraction': mrr['mrr_contraction'].sum(), 'Churn': mrr['mrr_churn'].sum(),\n"
        "            'Ending ARR': mrr['mrr_end'].sum()}\n",
    ),
    "bridge_losses_negative": (
        "q5_bridge_from_mrr",
        "def bridge_from_mrr(mrr):\n"
        "    return {'Starting ARR': 12 * mrr['mrr_start'].sum(), 'Expansion': 12 * mrr['mrr_expansion'].sum(),\n"
        "            'Contraction': -12 * mrr['mrr_contraction'].sum(), 'Churn': -12 * mrr['mrr_churn'].sum(),\n"
        "            'Ending ARR': 12 * mrr['mrr_end'].sum()}\n",
    ),
    "picked_lowest_logo_retention": (
        "q6_segment_masking_churn",
        "def segment_masking_churn(report):\n"
        "    return report[report['arr_start'] > 0].groupby('segment')['churned'].mean().idxmax()\n",
    ),
    "picked_highest_nrr": (
        "q6_segment_masking_churn",
        "def segment_masking_churn(report):\n"
        "    s = report[report['arr_start'] > 0].groupby('segment')[['arr_start', 'arr_end']].sum()\n"
        "    return (s['arr_end'] / s['arr_start']).idxmax()\n",
    ),
    "masked_is_all_expansion": (
        "q7_churn_masked_by_expansion",
        "def churn_masked_by_expansion(report):\n    return report['expansion_arr'].sum()\n",
    ),
    "masked_ignores_contraction": (
        "q7_churn_masked_by_expansion",
        "def churn_masked_by_expansion(report):\n"
        "    s = report[report['arr_start'] > 0]\n"
        "    return min(s['expansion_arr'].sum(), s['churn_arr'].sum())\n",
    ),
    "masked_as_share": (
        "q7_churn_masked_by_expansion",
        "def churn_masked_by_expansion(report):\n"
        "    s = report[report['arr_start'] > 0]\n"
        "    base = s['arr_start'].sum()\n"
        "    return (s['arr_end'].sum() - (base - s['contraction_arr'].sum() - s['churn_arr'].sum())) / base\n",
    ),
}

#: An answer that hard-codes the visible book's NRR instead of computing it (filled in by the test).
COPIED_NUMBER = "def nrr(report):\n    return {value!r}\n"

#: An answer whose result claims to equal anything.
ALWAYS_EQUAL = always_equal("nrr(report)", number=1.0)
