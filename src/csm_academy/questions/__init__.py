"""The checking engine: questions, misconceptions, feedback, and the hidden-test entry point."""

from csm_academy.questions.feedback import CheckFailed, Feedback, Outcome
from csm_academy.questions.question import Misconception, Question

__all__ = ["CheckFailed", "Feedback", "Misconception", "Outcome", "Question"]
