"""nbgrader settings for every user of the hub: the course and where its exchange is.

Goes in the shared venv as ``/opt/csm-academy/venv/etc/jupyter/nbgrader_config.py``, where every user's
JupyterLab and every ``nbgrader`` command run from that venv read it. The instructor adds the course folder
(instructor_nbgrader_config.py) and the course its grading settings (course_nbgrader_config.py).
"""

c = get_config()  # noqa: F821 (provided by nbgrader when it reads this file)

c.CourseDirectory.course_id = "csm-academy"
# nbgrader 0.9's own default, said here so there is one place to change it. The folder must exist, owned by
# root with mode 1777 (as /tmp): even listing assignments needs write access to it, and without it the
# Assignments panel shows "Error fetching courses!".
c.Exchange.root = "/usr/local/share/nbgrader/exchange"
