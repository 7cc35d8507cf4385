"""A trainee's workspace: the folder ``csm-academy open`` serves, holding only what a trainee may read.

It holds the teaching notebooks (``course/``, the start page among them) and the student editions of the
graded exercises (``exercises/<assignment>/``), copied from the installed package, and a small record of
what was copied (``.csm-academy-workspace.json``), so a newer course never overwrites the trainee's work.
"""
