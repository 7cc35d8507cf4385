"""Our copy of nbgrader's cell checksum agrees with nbgrader's own on every cell it is ever asked about."""

from __future__ import annotations

import copy

import nbformat
import pytest
from nbgrader.utils import compute_checksum as nbgraders

from csm_academy.content import exercise_sources, student_editions
from csm_academy.grading.checksum import compute_checksum

NOTEBOOKS = sorted(exercise_sources().glob("*/*.ipynb")) + sorted(student_editions().glob("*/*.ipynb"))


def _tracked_cells() -> list:
    cells = []
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        cells += [cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade_id")]
    return cells


def test_there_are_sources_and_editions_to_compare():
    assert len(NOTEBOOKS) == 8 and len(_tracked_cells()) > 60


@pytest.mark.parametrize("index", range(len(_tracked_cells())))
def test_every_exercise_cell_gets_nbgraders_checksum(index):
    cell = _tracked_cells()[index]
    assert compute_checksum(cell) == nbgraders(cell)


@pytest.mark.parametrize(
    "change",
    [
        {"source": "def nrr(report):\n    return 1.0  # é\n"},
        {"grade": 1},
        {"grade": True, "points": 3},
        {"solution": True, "grade": False},
        {"locked": True, "solution": False, "grade": False},
        {"points": "2"},
    ],
)
def test_edited_cells_get_nbgraders_checksum_too(change):
    for cell in _tracked_cells()[:12]:
        edited = copy.deepcopy(cell)
        if "source" in change:
            edited.source = change["source"]
        edited.metadata.nbgrader.update({k: v for k, v in change.items() if k != "source"})
        if edited.metadata.nbgrader.get("grade") and "points" not in edited.metadata.nbgrader:
            edited.metadata.nbgrader["points"] = 1
        assert compute_checksum(edited) == nbgraders(edited)
