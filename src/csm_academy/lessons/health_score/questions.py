"""Module 2's graded questions, and the unusual books each is also tested on."""

from __future__ import annotations

from csm_academy.book import variants
from csm_academy.lessons.health_score import edge_cases
from csm_academy.lessons.health_score.compare import RanksChurners
from csm_academy.lessons.health_score.handout import (
    auc_inputs,
    card_inputs,
    composite_inputs,
    lead_inputs,
    on_auc,
    on_card,
    on_lead,
    signal_inputs,
)
from csm_academy.lessons.health_score.misconceptions import MISCONCEPTIONS
from csm_academy.lessons.health_score.reference import (
    HOLDOUT_MARGIN,
    auc_of,
    captured_of,
    churn_by_band_of,
    composite_of,
    green_churners_of,
    holdout_bar,
    lead_time_of,
)
from csm_academy.questions.compare import ByGroup, Number, PerAccount, PerAccountLabels
from csm_academy.questions.lesson import pick
from csm_academy.questions.question import Question

_EDGES_CARD = (
    ("only one churned account", edge_cases.one_churner),
    ("no SMB accounts", variants.without_segment("SMB")),
)

QUESTIONS: tuple[Question, ...] = (
    Question(
        qid="q1_composite_score",
        answer="composite_score",
        title="Q1 The composite health score",
        revisit="A composite score and its bands",
        points=2,
        inputs=composite_inputs,
        reference=lambda book: composite_of(*composite_inputs(book)),
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
        edge_cases=(
            ("only five accounts", variants.first_accounts(5)),
            ("no SMB accounts", variants.without_segment("SMB")),
        ),
    ),
    Question(
        qid="q2_churn_by_band",
        answer="churn_by_band",
        title="Q2 Calibration: dollar churn rate by band",
        revisit="Calibration: do the bands mean what they say?",
        points=2,
        inputs=card_inputs,
        reference=on_card(churn_by_band_of),
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
        edge_cases=(("no churn at all", variants.no_churn), *_EDGES_CARD),
    ),
    Question(
        qid="q3_auc",
        answer="auc",
        title="Q3 Ranking: the AUC of the health score",
        revisit="Ranking: does the score put churners at the bottom?",
        points=3,
        inputs=auc_inputs,
        reference=on_auc(auc_of),
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
            ("only one churned account", edge_cases.one_churner),
            ("every account scoring the same", edge_cases.identical_signals),
        ),
    ),
    Question(
        qid="q4_captured_churn",
        answer="captured_churn",
        title="Q4 Ranking: churned ARR caught in the bottom tenth",
        revisit="Ranking: does the score put churners at the bottom?",
        points=2,
        inputs=card_inputs,
        reference=on_card(captured_of),
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
        revisit="Lead time: how early did the score warn?",
        points=2,
        inputs=lead_inputs,
        reference=on_lead(lead_time_of),
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
            ("churners fading from January", edge_cases.churners_fade_from_january),
            ("no SMB accounts", variants.without_segment("SMB")),
        ),
    ),
    Question(
        qid="q6_green_churners",
        answer="green_churners",
        title="Q6 The green accounts that churned, and why",
        revisit="The green-dashboard churners, and why they were missed",
        points=2,
        inputs=card_inputs,
        reference=on_card(green_churners_of),
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
        edge_cases=(("no churn at all", variants.no_churn), ("no SMB accounts", variants.without_segment("SMB"))),
    ),
    Question(
        qid="q7_holdout_score",
        answer="my_health_score",
        title="Q7 A better score, tested on books you have not seen",
        revisit="The login-heavy score against the outcome-weighted one",
        points=3,
        inputs=signal_inputs,
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
