"""nbgrader configuration for the CSM Academy course (run nbgrader commands from this folder).

`csm-academy release` and `grade` read this file too, for the course in course/ (the folder it names as
its root), so these settings mean the same to both graders: the code stub, the cell time limit
(`grade --cell-timeout` overrides it) and the gradebook (`--db-url` or CSM_ACADEMY_DB_URL override it).
"""

from pathlib import Path

c = get_config()  # noqa: F821 (provided by nbgrader when it reads this file)

HERE = Path(__file__).resolve().parent

c.CourseDirectory.course_id = "csm-academy"
# nbgrader's own layout lives in course/: source/ points at ../exercises/source (a committed symlink),
# while release/, submitted/, autograded/, feedback/ and gradebook.db are made here and never committed.
c.CourseDirectory.root = str(HERE / "course")
c.CourseDirectory.db_url = f"sqlite:///{HERE / 'course' / 'gradebook.db'}"

# What trainees see in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A cell that runs longer than this is stopped and marked as failed.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True

# Hidden tests never appear in feedback: our checks raise errors that render as words only.
c.ClearHiddenTests.enforce_metadata = True

# nbgrader's feedback HTML shows test cells as they were graded, hidden tests included (its issue
# #917). Strip the hidden regions before the page is rendered.
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import ClearHiddenTests, GetGrades  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
