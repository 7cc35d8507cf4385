"""Feedback as data: the outcome, the words, the points and the misconception behind a wrong answer."""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """The three things a check can say."""

    NOT_ATTEMPTED = "not attempted"
    INCORRECT = "incorrect"
    CORRECT = "correct"


_STYLE = {
    Outcome.CORRECT: ("✓", "Correct", "#1a7f37", "#e9f6ec"),
    Outcome.INCORRECT: ("✗", "Not yet", "#b42318", "#fdecea"),
    Outcome.NOT_ATTEMPTED: ("…", "Not attempted yet", "#6b5900", "#fff8db"),
}
MIME_TYPE = "application/vnd.csm-academy.feedback+json"


@dataclass(frozen=True)
class Feedback:
    """The result of checking one answer; renders as rich output and reads well as plain text."""

    qid: str
    title: str
    outcome: Outcome
    message: str
    points: float = 0.0
    max_points: float = 0.0
    misconception: str | None = None
    hidden: bool = False  # produced by hidden tests (books the trainee never saw)

    @property
    def correct(self) -> bool:
        """Whether the answer was right."""
        return self.outcome is Outcome.CORRECT

    def as_dict(self) -> dict:
        """A JSON-ready dict (what the autograder and reports read)."""
        data = asdict(self)
        data["outcome"] = self.outcome.value
        return data

    def __str__(self) -> str:
        mark, label, _, _ = _STYLE[self.outcome]
        tag = f" [mistake: {self.misconception}]" if self.misconception else ""
        return f"{mark} {self.title} — {label}. {self.message}{tag}"

    def _repr_html_(self) -> str:
        mark, label, colour, background = _STYLE[self.outcome]
        tag = (
            f'<div style="margin-top:4px;font-size:0.85em;color:#555">mistake id: '
            f"<code>{html.escape(self.misconception)}</code></div>"
            if self.misconception
            else ""
        )
        return (
            # mathjax_ignore: JupyterLab would typeset "$5M ... $400K" as math otherwise
            f'<div class="csm-feedback csm-{self.outcome.name.lower()} mathjax_ignore" '
            f'style="border-left:4px solid {colour};'
            f'background:{background};padding:8px 12px;margin:4px 0;font-family:sans-serif">'
            f'<strong style="color:{colour}">{mark} {html.escape(self.title)} — {label}.</strong> '
            f"{html.escape(self.message)}{tag}</div>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"text/plain": str(self), "text/html": self._repr_html_(), MIME_TYPE: self.as_dict()}

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(str(self))


class CheckFailed(AssertionError):
    """Raised by a graded check that did not pass; IPython shows only its words, never a traceback."""

    def __init__(self, feedback: Feedback):
        super().__init__(str(feedback))
        self.feedback = feedback

    def _render_traceback_(self) -> list[str]:
        # IPython calls this instead of formatting a traceback, so neither test source nor hidden
        # test names reach the notebook or nbgrader's feedback.
        return [str(self.feedback)]


@dataclass(frozen=True)
class Hint:
    """One hint, shown as rich output."""

    title: str
    level: int
    of: int
    text: str

    def __str__(self) -> str:
        return f"Hint {self.level} of {self.of} for {self.title}: {self.text}"

    def _repr_html_(self) -> str:
        return (
            '<div class="csm-hint mathjax_ignore" '
            'style="border-left:4px solid #1f6feb;background:#eef4ff;padding:8px 12px;margin:4px 0;'
            f'font-family:sans-serif"><strong>Hint {self.level} of {self.of}</strong> ({html.escape(self.title)}): '
            f"{html.escape(self.text)}</div>"
        )
