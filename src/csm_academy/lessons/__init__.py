"""Course content: one folder per module (handouts, references, misconceptions, questions, teaching helpers).

Each folder declares one ``Lesson``; ``registry.py`` lists them. Nothing here is imported by the engine.
"""
