"""Weekly digests (executive and team) and the App Home portfolio, built from one bounded set of queries."""
