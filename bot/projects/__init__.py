"""ML projects: their definition, members, stage and state."""
