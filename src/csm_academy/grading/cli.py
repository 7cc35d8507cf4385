"""The instructor verbs of ``csm-academy``: release, grade, report."""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

from csm_academy.errors import CsmAcademyError
from csm_academy.grading.course_config import CourseConfig, load_course_config
from csm_academy.grading.layout import CourseLayout

DB_URL_ENV = "CSM_ACADEMY_DB_URL"  # the gradebook URL can hold a password: an environment variable keeps it out of ps


def _root(args: argparse.Namespace) -> Path:
    from csm_academy.grading.run import default_course_root

    # Absolute: nbgrader runs from the course folder, where a relative path would name something else.
    root = Path(args.course).absolute() if args.course else default_course_root()
    if not (root / "source").exists():
        raise CsmAcademyError(f"{root} is not an nbgrader course folder (it has no source/)")
    return root


def course_from_args(args: argparse.Namespace) -> tuple[CourseLayout, CourseConfig]:
    """The course folder and its nbgrader config; the gradebook from --db-url, else the environment, else the config."""
    root = _root(args)
    config = load_course_config(root)
    db_url = getattr(args, "db_url", None) or os.environ.get(DB_URL_ENV) or config.db_url or None
    return CourseLayout(root, db_url=db_url), config


def cell_timeout(args: argparse.Namespace, config: CourseConfig) -> int | None:
    """Seconds a cell may run: --cell-timeout, else the course's ``c.Execute.timeout`` (nbgrader's default 30)."""
    return args.cell_timeout if args.cell_timeout is not None else config.cell_timeout


def _trainees(args: argparse.Namespace) -> list[str]:
    """The trainee ids of --trainees and --trainees-file, each once, in order; a bad one stops with where it is."""
    named: list[tuple[str, str]] = []  # (id, where it was given)
    if args.trainees:
        named += [(t.strip(), "--trainees") for t in args.trainees.split(",") if t.strip()]
    if args.trainees_file:
        try:
            lines = Path(args.trainees_file).read_text().splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            why = getattr(exc, "strerror", None) or "it is not a text file"
            raise CsmAcademyError(f"cannot read {args.trainees_file}: {why}") from None
        # One id per line: "Jean Dupont" on one line is one (bad) id, never two trainees.
        named += [(line.strip(), f"{args.trainees_file} line {n}") for n, line in enumerate(lines, 1) if line.strip()]
    names: list[str] = []
    for name, where in named:
        if not _valid_trainee_id(name):
            raise CsmAcademyError(
                f"{where}: {name!r} is not a trainee id (letters, digits, '-', '_' and '.' only, no spaces)"
            )
        if name in names:
            raise CsmAcademyError(f"{where}: trainee {name!r} is listed twice")
        names.append(name)
    return names


def _valid_trainee_id(name: str) -> bool:
    return name.replace("-", "").replace("_", "").replace(".", "").isalnum() and not name.startswith(".")


def _at_least_one(text: str) -> int:
    """An argparse type: a whole number of 1 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _cmd_release(args: argparse.Namespace) -> int:
    from csm_academy.grading.gradebook import generate_assignment
    from csm_academy.grading.seeds import load_or_create_secret, trainee_seed
    from csm_academy.lessons.registry import lesson_for
    from csm_academy.questions.lesson import SEED_FILE

    lesson_for(args.assignment)
    trainees = _trainees(args)  # a bad list stops here, before anything is released
    layout, _ = course_from_args(args)
    generate_assignment(layout, args.assignment)
    secret = load_or_create_secret(layout.root)
    for trainee in trainees:
        folder = layout.personal_release(trainee, args.assignment)
        if folder.exists():
            shutil.rmtree(folder)
        shutil.copytree(layout.release(args.assignment), folder)
        seed = trainee_seed(secret, trainee, args.assignment)
        (folder / SEED_FILE).write_text(json.dumps({"assignment": args.assignment, "seed": seed}) + "\n")
    print(f"released {args.assignment}: {layout.release(args.assignment)}")
    if trainees:
        print(f"personalised copies for {len(trainees)} trainees in {layout.root / 'release-personal'}")
    return 0


def _cmd_grade(args: argparse.Namespace) -> int:
    from csm_academy.grading.reports import write_reports
    from csm_academy.grading.run import grade, load_records, require_trust, submissions
    from csm_academy.grading.sandbox import Limits, limits_in_force
    from csm_academy.grading.seeds import load_or_create_secret
    from csm_academy.lessons.registry import lesson_for

    require_trust(not args.no_sandbox, args.trusted_submissions)  # before anything is written
    lesson_for(args.assignment)  # an unknown assignment is named before anything else is said or done
    layout, config = course_from_args(args)
    submissions(layout, args.assignment)  # none at all: said in one line, before anything starts
    if not args.no_sandbox and not args.scheduler:  # on a cluster each worker's machine sets its own
        print(limits_in_force(Limits()))
    summary = grade(
        layout,
        args.assignment,
        secret=load_or_create_secret(layout.root),
        workers=args.workers,
        scheduler=args.scheduler,
        sandbox=not args.no_sandbox,
        trusted=args.trusted_submissions,
        force=args.force,
        progress=not args.no_progress,
        cell_timeout=cell_timeout(args, config),
        notebook_timeout=args.timeout,
    )
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(summary.by_status.items())) or "nothing new"
    print(
        f"graded {summary.graded} submissions in {summary.seconds:.1f} s ({statuses}); "
        f"{summary.skipped} unchanged since the last run"
    )
    out = write_reports(load_records(layout, args.assignment), args.assignment, layout.reports(args.assignment))
    print(f"reports: {out['grades']}, {out['cohort']}, {out['grades'].parent / 'feedback'}/")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from csm_academy.grading.reports import write_reports
    from csm_academy.grading.run import load_records
    from csm_academy.lessons.registry import lesson_for

    lesson_for(args.assignment)
    layout = CourseLayout(_root(args))  # reports read the state file only: no gradebook, no config
    records = load_records(layout, args.assignment)
    if not records:
        raise CsmAcademyError(f"nothing graded yet for {args.assignment!r}: run csm-academy grade first")
    out = write_reports(records, args.assignment, layout.reports(args.assignment))
    print(f"reports: {out['grades']}, {out['cohort']}, {out['grades'].parent / 'feedback'}/")
    return 0


def add_instructor_commands(sub) -> None:
    """Add release, grade and report to the ``csm-academy`` parser."""
    course_help = "nbgrader course folder (default: autograder/course in this repository)"
    db_help = (
        f"nbgrader gradebook database URL, e.g. postgresql://user@host/gradebook (default: ${DB_URL_ENV}, else "
        "c.CourseDirectory.db_url in the course's nbgrader_config.py, else gradebook.db in the course folder)"
    )
    p = sub.add_parser("release", help="make the student version, plus a personalised copy per trainee")
    p.add_argument("assignment")
    p.add_argument("--course", help=course_help)
    p.add_argument("--trainees", help="comma-separated trainee ids")
    p.add_argument("--trainees-file", help="a file of trainee ids, one per line")
    p.add_argument("--db-url", help=db_help)
    p.set_defaults(func=_cmd_release)

    p = sub.add_parser("grade", help="grade every submission in parallel, sandboxed, into nbgrader's gradebook")
    p.add_argument("assignment")
    p.add_argument("--course", help=course_help)
    p.add_argument(
        "--workers", type=_at_least_one, help="parallel kernels on the local cluster (default: one per CPU core)"
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="grade on an existing Dask cluster, e.g. tcp://10.0.0.5:8786 (default: a local cluster for this run)",
    )
    p.add_argument("--db-url", help=db_help)
    p.add_argument("--force", action="store_true", help="grade again even submissions that did not change")
    p.add_argument("--no-sandbox", action="store_true", help="run trainee code WITHOUT isolation (not advised)")
    p.add_argument(
        "--trusted-submissions",
        action="store_true",
        help="required with --no-sandbox: every submission is trusted (unsandboxed code can change any grade)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--cell-timeout",
        type=_at_least_one,
        help="seconds a cell may run (default: c.Execute.timeout in the course's nbgrader_config.py, else 30)",
    )
    p.add_argument("--timeout", type=_at_least_one, default=180, help="seconds a whole notebook may run (default 180)")
    p.set_defaults(func=_cmd_grade)

    p = sub.add_parser("report", help="write grades.csv, feedback pages and the cohort report again")
    p.add_argument("assignment")
    p.add_argument("--course", help=course_help)
    p.set_defaults(func=_cmd_report)
