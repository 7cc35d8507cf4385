"""What the nbgrader tests need to know about each lesson beyond its ``Lesson``: one typed spec per lesson.

The ``Lesson`` (from the registry) gives the assignment, the questions, their points and the catalogue of
misconceptions. A spec adds what only the tests know: the trainee-style answers in ``tests/answers``, which
question the copied-number and always-equal tricks target, the hidden seeds that must never leak, the
written answer graded by hand (if the lesson has one), and the answers that are right only on the
trainee's own book.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import tests.answers.expansion
import tests.answers.health_score
import tests.answers.nrr_math
import tests.answers.save_or_let_go
from csm_academy.lessons.registry import lesson_for
from csm_academy.questions.lesson import Lesson


@dataclass(frozen=True)
class WrittenAnswer:
    """A markdown answer an instructor grades by hand: its grade id, its points and a full-marks reply."""

    grade_id: str
    points: float
    text: str


@dataclass(frozen=True)
class OwnBookAnswer:
    """An answer built from the trainee's own book: right there (its check passes), wrong on unseen books."""

    qid: str
    code: str


@dataclass(frozen=True, eq=False)  # compared by identity: one spec per lesson, usable as a cache key
class LessonSpec:
    """One lesson as the nbgrader tests exercise it."""

    name: str  # short id used in test ids, e.g. "nrr_math"
    lesson: Lesson
    #: Known mistakes as a trainee would type them: misconception id -> (question id, answer-cell code).
    wrong: Mapping[str, tuple[str, str]]
    copied_number: str  # answer-cell code returning ``{value!r}``: the right figure of the visible book, typed in
    always_equal: str  # answer-cell code whose result claims to equal anything
    tricked_qid: str  # the question the copied-number and always-equal answers are typed into
    hidden_seeds: tuple[int, ...]  # seeds of the unseen books the hidden tests use: never shown to trainees
    feedback_mistake: str  # the misconception whose feedback page is checked
    feedback_says: str  # words that page must show
    written: WrittenAnswer | None = None
    #: Trainees whose answer is right only on their own book, by submission name.
    own_book: Mapping[str, OwnBookAnswer] = field(default_factory=lambda: MappingProxyType({}))
    release_hides: tuple[str, ...] = ()  # more text the release must not contain
    #: Mistakes that read the trainee's own book (its outcomes, say) and so can only be named there: on
    #: unseen books their answer has no value per account, and the grader says that instead.
    named_on_own_book_only: frozenset[str] = frozenset()

    @property
    def assignment(self) -> str:
        """The nbgrader assignment id."""
        return self.lesson.assignment

    @property
    def notebook(self) -> str:
        """The assignment's notebook file name."""
        return f"{self.assignment}.ipynb"

    @property
    def points(self) -> dict[str, float]:
        """Autograded points per question id."""
        return {q.qid: float(q.points) for q in self.lesson.questions}

    @property
    def auto_total(self) -> float:
        """Autograded points across the exercise (the written answer excluded)."""
        return self.lesson.points

    def visible_figure(self) -> Any:
        """The right answer to ``tricked_qid`` on the trainee's visible book, as a Python literal to copy."""
        value = self.lesson.question(self.tricked_qid).reference(self.lesson.exercise().book)
        # The trick types this figure into a notebook: it must read back as the same value.
        assert ast.literal_eval(repr(value)) == value, f"{self.name}: {value!r} is not a plain Python literal"
        return value

    def copied_number_code(self) -> str:
        """The copied-number answer with the visible book's figure filled in."""
        return self.copied_number.format(value=self.visible_figure())

    def __repr__(self) -> str:
        return f"LessonSpec({self.name})"


def _own_book_readers(answers: Mapping[str, tuple[str, str]]) -> Mapping[str, OwnBookAnswer]:
    return MappingProxyType({f"own-book-{qid}": OwnBookAnswer(qid, code) for qid, (_name, code) in answers.items()})


NRR_MATH = LessonSpec(
    name="nrr_math",
    lesson=lesson_for("01_nrr_math"),
    wrong=tests.answers.nrr_math.WRONG,
    copied_number=tests.answers.nrr_math.COPIED_NUMBER,
    always_equal=tests.answers.nrr_math.ALWAYS_EQUAL,
    tricked_qid="q1_nrr",
    hidden_seeds=(40913, 77021),
    feedback_mistake="grr_includes_expansion",
    feedback_says="That is NRR, not GRR",
)

HEALTH_SCORE = LessonSpec(
    name="health_score",
    lesson=lesson_for("02_health_score_calibration"),
    wrong=tests.answers.health_score.WRONG,
    copied_number=tests.answers.health_score.COPIED_NUMBER,
    always_equal=tests.answers.health_score.ALWAYS_EQUAL,
    tricked_qid="q3_auc",
    hidden_seeds=(52817, 90331, 61403, 71249),
    feedback_mistake="auc_inverted",
    feedback_says="Your AUC is upside down",
    # Fitted on the visible book's outcomes: beats the dashboard there, fails the holdout books.
    own_book=MappingProxyType(
        {"fitted-on-visible": OwnBookAnswer("q7_holdout_score", tests.answers.health_score.VISIBLE_OUTCOME_BUMP)}
    ),
    release_hides=("my_weights",),  # the reference weights of the open question stay hidden
    named_on_own_book_only=frozenset({"score_uses_renewal_result"}),
)

EXPANSION = LessonSpec(
    name="expansion",
    lesson=lesson_for("03_expansion_qualification"),
    wrong=tests.answers.expansion.WRONG,
    copied_number=tests.answers.expansion.COPIED_NUMBER,
    always_equal=tests.answers.expansion.ALWAYS_EQUAL,
    tricked_qid="q5_contraction_by_value",
    hidden_seeds=(30911, 61843),
    feedback_mistake="two_of_three_is_yes",
    feedback_says="You called two of three a yes",
    written=WrittenAnswer("w1_sales_leader", 3, tests.answers.expansion.WRITTEN_ANSWER),
)

SAVE_OR_LET_GO = LessonSpec(
    name="save_or_let_go",
    lesson=lesson_for("04_save_or_let_go"),
    wrong=tests.answers.save_or_let_go.WRONG,
    copied_number=tests.answers.save_or_let_go.COPIED_NUMBER,
    always_equal=tests.answers.save_or_let_go.ALWAYS_EQUAL,
    tricked_qid="q2_surprises",
    hidden_seeds=(7340123, 5128841),
    feedback_mistake="discount_as_lever",
    feedback_says="You reached for a discount",
    written=WrittenAnswer("w1_cancelling_customer", 3, tests.answers.save_or_let_go.WRITTEN_ANSWER),
    own_book=_own_book_readers(tests.answers.save_or_let_go.READS_OWN_BOOK),
)

#: Every lesson's spec, in module order.
SPECS: tuple[LessonSpec, ...] = (NRR_MATH, HEALTH_SCORE, EXPANSION, SAVE_OR_LET_GO)
