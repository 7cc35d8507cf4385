"""Per-trainee seeds: stable, different for every trainee and purpose, and unguessable without the course secret."""

from __future__ import annotations

import stat

from csm_academy.grading.seeds import SECRET_FILE, hidden_seed, load_or_create_secret, trainee_seed

SECRET = b"0123456789abcdef" * 4


def test_the_same_trainee_gets_the_same_seed_every_time():
    assert trainee_seed(SECRET, "ana", "01_nrr_math") == trainee_seed(SECRET, "ana", "01_nrr_math")


def test_the_seed_is_a_valid_book_seed():
    seeds = [trainee_seed(SECRET, f"t{i}", "01_nrr_math") for i in range(200)]
    assert all(0 <= s < 2**31 - 1 for s in seeds)


def test_seeds_differ_per_trainee_assignment_purpose_index_and_secret():
    base = trainee_seed(SECRET, "ana", "01_nrr_math")
    others = {
        "trainee": trainee_seed(SECRET, "ben", "01_nrr_math"),
        "assignment": trainee_seed(SECRET, "ana", "02_health_score_calibration"),
        "purpose": trainee_seed(SECRET, "ana", "01_nrr_math", "hidden"),
        "index": trainee_seed(SECRET, "ana", "01_nrr_math", "visible", 1),
        "secret": trainee_seed(b"another secret", "ana", "01_nrr_math"),
    }
    assert base not in others.values() and len(set(others.values())) == len(others)


def test_a_cohort_gets_distinct_seeds():
    seeds = {trainee_seed(SECRET, f"trainee-{i}", "01_nrr_math") for i in range(1000)}
    assert len(seeds) == 1000


def test_field_boundaries_cannot_be_shifted_to_borrow_another_trainees_seed():
    # "ab" + "c" and "a" + "bc" must not hash alike: the fields are separated.
    assert trainee_seed(SECRET, "ab", "c") != trainee_seed(SECRET, "a", "bc")


def test_hidden_seeds_differ_per_trainee_run_size_draw_and_book():
    base = hidden_seed(SECRET, "ana", "01_nrr_math", "run-1", 300, 0, 0)
    assert base == hidden_seed(SECRET, "ana", "01_nrr_math", "run-1", 300, 0, 0)
    others = {
        "trainee": hidden_seed(SECRET, "ben", "01_nrr_math", "run-1", 300, 0, 0),
        "run": hidden_seed(SECRET, "ana", "01_nrr_math", "run-2", 300, 0, 0),
        "size": hidden_seed(SECRET, "ana", "01_nrr_math", "run-1", 2000, 0, 0),
        "draw": hidden_seed(SECRET, "ana", "01_nrr_math", "run-1", 300, 1, 0),
        "book": hidden_seed(SECRET, "ana", "01_nrr_math", "run-1", 300, 0, 1),
        "secret": hidden_seed(b"another secret", "ana", "01_nrr_math", "run-1", 300, 0, 0),
    }
    assert base not in others.values() and len(set(others.values())) == len(others)
    assert base != trainee_seed(SECRET, "ana", "01_nrr_math")  # never the trainee's own book


def test_the_secret_is_created_once_readable_by_its_owner_only(tmp_path):
    course = tmp_path / "course"
    secret = load_or_create_secret(course)
    path = course / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(secret) == 64 and bytes.fromhex(secret.decode())
    written = path.stat().st_mtime_ns
    assert load_or_create_secret(course) == secret  # read back, never replaced
    assert path.stat().st_mtime_ns == written


def test_two_courses_get_different_secrets(tmp_path):
    assert load_or_create_secret(tmp_path / "a") != load_or_create_secret(tmp_path / "b")
