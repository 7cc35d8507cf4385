"""Where the instructor's course is: ``~INSTRUCTOR/.jupyter/nbgrader_config.py``, for that account alone.

With it, the instructor's ``nbgrader`` commands work from any folder, and their JupyterLab's Formgrader and
Create Assignment find the course. Trainees have no such file, so their nbgrader only fetches and submits.
"""

from pathlib import Path

c = get_config()  # noqa: F821 (provided by nbgrader when it reads this file)

# nbgrader's layout: source/, release/, submitted/, autograded/, feedback/ and gradebook.db, all in here.
c.CourseDirectory.root = str(Path.home() / "course")
