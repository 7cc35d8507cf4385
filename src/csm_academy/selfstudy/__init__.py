"""Self-study: a trainee grades their own exercise with the instructor's judge, and follows their progress."""
