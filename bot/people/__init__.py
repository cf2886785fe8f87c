"""People in a workspace and their Headway roles."""
