"""The reference calculations the course teaches, checked against hand-computed cases."""
