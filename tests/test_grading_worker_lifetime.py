"""A grading worker grades submission after submission: each leaves nothing behind in it."""

from __future__ import annotations

import json
import shutil

import psutil

from csm_academy.grading import execute
from csm_academy.grading.layout import CourseLayout
from csm_academy.grading.records import Job, Status
from csm_academy.grading.worker_cache import WorkerCache
from tests import nbtools
from tests.test_grading_submission import NB, A, released_course


def test_grading_one_submission_after_another_leaves_no_thread_socket_or_memory_behind(tmp_path_factory, tmp_path):
    course = tmp_path / "course"
    shutil.copytree(released_course(tmp_path_factory), course, symlinks=True)
    layout = CourseLayout(course)
    release = nbtools.load(course / "release" / A / NB)
    reference = nbtools.reference_code(nbtools.load(nbtools.EXERCISES / A / NB))
    for trainee in ("t1", "t2", "t3", "t4"):
        path = layout.submitted(trainee, A, NB)
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(nbtools.submission(release, reference)))
    settings = execute.Settings(layout=layout, secret=b"s" * 64, cell_timeout=30)
    cache = WorkerCache()
    me = psutil.Process()
    seen = []
    for trainee in ("t1", "t2", "t3", "t4"):
        job = Job(trainee, A, NB)
        record = execute.run(settings, execute.prepare(settings, job, cache.for_assignment(layout, settings.secret, A)))
        assert record.status is Status.GRADED and record.points == record.max_points
        seen.append((me.num_threads(), me.num_fds()))
    # Every kernel's channels, ZeroMQ contexts and watches are closed with it: the second submission on
    # leaves the worker exactly as the first did (each used to leave 3 threads and 17 descriptors).
    assert seen[1] == seen[2] == seen[3], seen
