"""Keel's database plumbing: its PostgreSQL backend and a counter of what it sends."""
