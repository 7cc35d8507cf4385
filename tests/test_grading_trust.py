"""Trainee code never runs unsandboxed unless the instructor says, in so many words, that it is trusted."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import nbtools
from tests.test_grading_cohort import CLI, _env_without_venv


@pytest.mark.parametrize("where", [(), ("--scheduler", "tcp://127.0.0.1:9")], ids=["local cluster", "scheduler"])
def test_grading_without_the_sandbox_needs_trusted_submissions_and_writes_nothing(tmp_path: Path, where):
    course = tmp_path / "course"
    (course / "submitted" / "ana" / "01_nrr_math").mkdir(parents=True)
    (course / "source").symlink_to(nbtools.EXERCISES)
    run = subprocess.run(
        [CLI, "grade", "01_nrr_math", "--course", str(course), "--no-sandbox", "--no-progress", *where],
        env=_env_without_venv(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "--trusted-submissions" in lines[0] and "Traceback" not in run.stderr
    assert sorted(p.name for p in course.iterdir()) == ["source", "submitted"]  # no gradebook, release or secret
