"""The per-lesson specs the nbgrader tests run on agree with the registry and the exercise notebooks (fast)."""

from __future__ import annotations

import re

import pytest

from csm_academy.lessons.registry import LESSONS
from tests import nbtools
from tests.lesson_specs import SPECS, LessonSpec

_BY_NAME = [pytest.param(spec, id=spec.name) for spec in SPECS]


def _source_notebook(spec: LessonSpec) -> dict:
    return nbtools.load(nbtools.EXERCISES / spec.assignment / spec.notebook)


def test_every_registered_lesson_has_exactly_one_spec_in_module_order():
    assert [spec.assignment for spec in SPECS] == [lesson.assignment for lesson in LESSONS]
    assert len({spec.name for spec in SPECS}) == len(SPECS)


@pytest.mark.parametrize("spec", _BY_NAME)
def test_hidden_seeds_are_the_ones_the_source_notebooks_hidden_tests_use(spec: LessonSpec):
    text = "\n".join(nbtools.source(cell) for cell in _source_notebook(spec)["cells"])
    used = {int(seed) for group in re.findall(r"seeds=\[([0-9, ]+)\]", text) for seed in group.split(",")}
    assert used and set(spec.hidden_seeds) == used


@pytest.mark.parametrize("spec", _BY_NAME)
def test_written_answer_is_the_source_notebooks_hand_graded_cell_with_its_points(spec: LessonSpec):
    hand_graded = {
        nbtools.nbgrader_meta(cell)["grade_id"]: nbtools.nbgrader_meta(cell)["points"]
        for cell in _source_notebook(spec)["cells"]
        if cell["cell_type"] == "markdown"
        and nbtools.nbgrader_meta(cell).get("grade")
        and nbtools.nbgrader_meta(cell).get("solution")
    }
    expected = {spec.written.grade_id: spec.written.points} if spec.written else {}
    assert hand_graded == expected


@pytest.mark.parametrize("spec", _BY_NAME)
def test_every_trick_and_mistake_targets_a_graded_question_of_its_lesson(spec: LessonSpec):
    assert spec.tricked_qid in spec.points
    assert {answer.qid for answer in spec.own_book.values()} <= set(spec.points)
    for mid, (qid, _code) in spec.wrong.items():
        assert mid in {m.id for m in spec.lesson.question(qid).misconceptions}, (mid, qid)
    assert spec.feedback_mistake in spec.wrong
    assert spec.feedback_says in spec.lesson.misconceptions[spec.feedback_mistake].message


@pytest.mark.parametrize("spec", _BY_NAME)
def test_copied_number_types_the_visible_books_right_answer_into_the_cell(spec: LessonSpec):
    namespace = nbtools.exec_answers({spec.tricked_qid: spec.copied_number_code()})
    question = spec.lesson.question(spec.tricked_qid)
    book = spec.lesson.exercise().book
    assert namespace[question.answer](*question.inputs(book)) == question.reference(book)
