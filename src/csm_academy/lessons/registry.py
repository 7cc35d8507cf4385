"""The course's lessons, listed explicitly: grading, reports and tests find a module's content here."""

from __future__ import annotations

from csm_academy.errors import UnknownAssignment
from csm_academy.lessons import expansion, health_score, nrr_math, save_or_let_go
from csm_academy.questions.lesson import Lesson

#: Every lesson of the course, in module order. A new module adds its ``LESSON`` here.
LESSONS: tuple[Lesson, ...] = (nrr_math.LESSON, health_score.LESSON, expansion.LESSON, save_or_let_go.LESSON)


def lesson_for(assignment: str) -> Lesson:
    """The lesson whose assignment id is ``assignment``; else UnknownAssignment (a KeyError) listing the known ones."""
    for lesson in LESSONS:
        if lesson.assignment == assignment:
            return lesson
    known = ", ".join(x.assignment for x in LESSONS)
    raise UnknownAssignment(f"no lesson defines assignment {assignment!r}; known: {known}")
