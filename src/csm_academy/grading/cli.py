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
        raise CsmAcademyError(
            f"{root} is not an nbgrader course folder (it has no source/); make one with: csm-academy course init DIR"
        )
    return root


def _cmd_course_init(args: argparse.Namespace) -> int:
    from csm_academy.content import exercise_sources, nbgrader_config
    from csm_academy.grading.course_config import CONFIG_FILE
    from csm_academy.grading.run import LOCAL_COURSE

    folder = Path(args.folder).absolute()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise CsmAcademyError(f"{folder} already holds files: course init makes a new course in a new or empty folder")
    course = folder / LOCAL_COURSE
    # Copies, not links: the course stays as it was released even when the package is upgraded under it.
    shutil.copytree(exercise_sources(), course / "source", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    # The course's own config, beside the course folder as in the repository's autograder/ (it names course/).
    shutil.copyfile(nbgrader_config(), folder / CONFIG_FILE)
    assignments = sorted(p.name for p in (course / "source").iterdir() if p.is_dir())
    print(f"made the nbgrader course {course} ({', '.join(assignments)}) with {folder / CONFIG_FILE}")
    print(f"from {folder}, release and grade without --course: csm-academy release {assignments[0]}")
    return 0


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
    from csm_academy.grading.run import course_roster, grade, require_trust, submissions
    from csm_academy.grading.sandbox import Limits, limits_in_force
    from csm_academy.grading.seeds import load_or_create_secret
    from csm_academy.lessons.registry import lesson_for

    require_trust(not args.no_sandbox, args.trusted_submissions)  # before anything is written
    lesson_for(args.assignment)  # an unknown assignment is named before anything else is said or done
    listed = _trainees(args)
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
        listed=listed,
        progress=not args.no_progress,
        cell_timeout=cell_timeout(args, config),
        notebook_timeout=args.timeout,
    )
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(summary.by_status.items())) or "nothing new"
    print(
        f"graded {summary.graded} submissions in {summary.seconds:.1f} s ({statuses}); "
        f"{summary.skipped} unchanged since the last run"
    )
    _write_reports(course_roster(layout, args.assignment, listed=listed), args.assignment, layout)
    return 0


def _write_reports(entries, assignment: str, layout: CourseLayout) -> None:
    from csm_academy.grading.reports import write_reports

    out = write_reports(entries, assignment, layout.reports(assignment))
    missing = [e.trainee for e in entries if e.record is None]
    if missing:
        print(f"no grade for {len(missing)} of {len(entries)} known trainees: {', '.join(missing)} (see the roster)")
    print(f"reports: {out['grades']}, {out['cohort']}, {out['grades'].parent / 'feedback'}/")


def _cmd_report(args: argparse.Namespace) -> int:
    from csm_academy.grading.run import course_roster, load_records
    from csm_academy.lessons.registry import lesson_for

    lesson_for(args.assignment)
    listed = _trainees(args)
    layout, _ = course_from_args(args)
    if not load_records(layout, args.assignment):
        raise CsmAcademyError(f"nothing graded yet for {args.assignment!r}: run csm-academy grade first")
    _write_reports(course_roster(layout, args.assignment, listed=listed), args.assignment, layout)
    return 0


def add_instructor_commands(sub) -> None:
    """Add course init, release, grade and report to the ``csm-academy`` parser."""
    course_help = (
        "nbgrader course folder (default: ./course if it has a source/ folder, as csm-academy course init makes; "
        "else autograder/course when run from a checkout of the repository)"
    )
    p = sub.add_parser("course", help="make a course folder for instructors (csm-academy course init DIR)")
    course_sub = p.add_subparsers(dest="course_command", metavar="init", required=True)
    p = course_sub.add_parser(
        "init", help="make an nbgrader course in DIR from the installed exercises: DIR/course/source/ and its config"
    )
    p.add_argument("folder", metavar="DIR", help="a new or empty folder")
    p.set_defaults(func=_cmd_course_init)

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
    _roster_options(p)
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
    p.add_argument("--db-url", help=db_help)
    _roster_options(p)
    p.set_defaults(func=_cmd_report)


def _roster_options(p: argparse.ArgumentParser) -> None:
    """--trainees and --trainees-file on grade and report: trainees to list even with nothing handed in."""
    p.add_argument("--trainees", help="comma-separated trainee ids to list in the roster, handed in or not")
    p.add_argument("--trainees-file", help="a file of trainee ids, one per line, to list in the roster")
