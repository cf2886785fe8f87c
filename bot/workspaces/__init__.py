"""Installed workspaces: which ones Headway serves, which organization each belongs to, and deleting one."""
