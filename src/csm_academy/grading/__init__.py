"""Instructor grading at cohort scale: personalised release, sandboxed parallel grading, reports."""
