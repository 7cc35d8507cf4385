"""Kernel side of grading: run the trainee's answer on the one case the grader handed in, and send it out.

The grader calls ``answer_case`` (through ``wire.request_code``) once per hidden case, after the cell that
tests the question has run. Whatever this module does can be replaced by a hostile kernel; that is fine,
because a result only counts when it answers the case the grader has just handed in, under that
request's nonce, and the judge that compares it runs outside the kernel.
"""

from __future__ import annotations

import pickle

from csm_academy.questions import wire
from csm_academy.questions.question import _MISSING, run_answer
from csm_academy.questions.view import show, user_namespace


def answer_case(answer: str, kind: str, nonce: str) -> None:
    """Run the notebook's ``answer`` on the case waiting in the grading folder and show its result."""
    folder = wire.grading_dir()
    if folder is None:
        raise RuntimeError("answer_case runs only under `csm-academy grade`")
    with (folder / wire.CASE_FILE.format(nonce=nonce)).open("rb") as fh:
        args = pickle.load(fh)  # written by the grader a moment ago: the trusted direction
    attempt = run_answer(user_namespace().get(answer, _MISSING), kind, lambda: args)
    record = {
        "nonce": nonce,
        "status": attempt.status,
        "detail": attempt.detail,
        "result": wire.encode(attempt.result) if attempt.status == "ok" else None,
    }
    show({wire.RESULT_MIME: record}, raw=True)
