"""The course's grading settings, in the instructor's course folder: ``~INSTRUCTOR/course/nbgrader_config.py``.

The same settings as autograder/nbgrader_config.py, for a course folder of its own (nbgrader reads this file
from the course root, and so does ``csm-academy grade``); tests/test_jupyterhub.py keeps the two equal.
"""

c = get_config()  # noqa: F821 (provided by nbgrader when it reads this file)

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
