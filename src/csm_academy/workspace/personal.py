"""A trainee's own book seeds, from the personalised release an instructor gave them, kept beside each exercise."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from csm_academy.errors import CsmAcademyError
from csm_academy.workspace.files import assignments, exercise_folder


@dataclass(frozen=True)
class PersonalSeed:
    """One assignment's seed file from a personalised release: the exercise's notebook reads it from its folder."""

    assignment: str
    seed: int
    origin: Path
    text: str  # the file as the instructor wrote it, copied unchanged


def personal_seeds(trainee: str | None, release: Path | None) -> list[PersonalSeed]:
    """The seed files in ``release`` (``release-personal/<trainee>/`` or its parent), each checked; none without it."""
    from csm_academy.questions.lesson import SEED_FILE

    if release is None:
        return []
    if trainee is None:
        raise CsmAcademyError("--personal-release needs --trainee ID, the id your instructor released it for")
    release = Path(release).expanduser().absolute()
    mine = release / trainee if (release / trainee).is_dir() else release
    found = [mine / a / SEED_FILE for a in assignments() if (mine / a / SEED_FILE).is_file()]
    if not found:
        raise CsmAcademyError(
            f"{release} holds no personalised release for trainee {trainee!r} "
            f"(expected <assignment>/{SEED_FILE}, as csm-academy release writes in release-personal/{trainee}/)"
        )
    return [_read(path, path.parent.name) for path in found]


def keep_personal_seeds(workspace: Path, seeds: list[PersonalSeed]) -> list[PersonalSeed]:
    """Write each seed file beside its exercise; return those that changed. Other seed files stay as they are."""
    from csm_academy.questions.lesson import SEED_FILE

    written = []
    for seed in seeds:
        target = exercise_folder(workspace, seed.assignment) / SEED_FILE
        if not target.is_file() or target.read_text(encoding="utf-8") != seed.text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(seed.text, encoding="utf-8")
            written.append(seed)
    return written


def _read(path: Path, assignment: str) -> PersonalSeed:
    """The seed file at ``path`` for ``assignment``; anything else stops with the file named."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CsmAcademyError(f"{path}: not a personalised release seed file ({exc})") from None
    seed = data.get("seed") if isinstance(data, dict) else None
    if not isinstance(seed, int) or isinstance(seed, bool) or data.get("assignment") != assignment:
        raise CsmAcademyError(f"{path}: not a seed file for {assignment} (it should hold its assignment and seed)")
    return PersonalSeed(assignment, seed, path, text)
