"""nbgrader's cell checksum, computed here: importing ``nbgrader.utils`` costs about 2.4 s of CPU per process.

The checksum says whether a locked or answer cell is still as released. It must equal nbgrader's own
(``nbgrader.utils.compute_checksum``, nbgrader 0.9) bit for bit, since nbgrader wrote the released ones;
``tests/test_grading_checksum.py`` compares the two on every cell of every exercise.
"""

from __future__ import annotations

import hashlib
from typing import Any


def _flag(cell: Any, name: str) -> Any:
    # nbgrader's is_grade / is_solution / is_locked: the raw metadata value, False when there is none.
    metadata = cell.metadata
    if "nbgrader" not in metadata:
        return False
    return metadata["nbgrader"].get(name, False)


def compute_checksum(cell: Any) -> str:
    """The checksum nbgrader stores for ``cell`` (an nbformat cell with nbgrader metadata)."""
    digest = hashlib.md5()
    digest.update(cell.source.encode("utf-8"))
    digest.update(cell.cell_type.encode("utf-8"))
    grade = _flag(cell, "grade")
    digest.update(str(grade).encode("utf-8"))
    digest.update(str(_flag(cell, "solution")).encode("utf-8"))
    # nbgrader's is_locked: solution cells are never locked, grade cells always are, else the metadata says.
    locked = False if _flag(cell, "solution") else True if grade else _flag(cell, "locked")
    digest.update(str(locked).encode("utf-8"))
    digest.update(cell.metadata.nbgrader["grade_id"].encode("utf-8"))
    if grade:
        digest.update(str(float(cell.metadata.nbgrader["points"])).encode("utf-8"))
    return digest.hexdigest()
