"""Operations: what runs around every request and beside the app.

Request ids, the access log, probes, logging, health, metrics, cache, tasks, periodic jobs.
"""
