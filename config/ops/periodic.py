"""The periodic upkeep jobs, run by ``manage.py run_periodic_jobs`` (cron or the scheduler).

Each job is a management command with its arguments. They are idempotent, so running
them late, twice, or from two places does no harm.
"""

PERIODIC_JOBS: dict[str, list[str]] = {
    # Blacklist and outstanding refresh tokens past their expiry (simplejwt).
    "flush expired tokens": ["flushexpiredtokens"],
    # Sessions past their refresh tokens' expiry, ended or not (accounts).
    "flush expired sessions": ["flush_expired_sessions"],
    # Direct uploads started but never completed.
    "clean up pending uploads": ["storage_cleanup_pending"],
    # Tasks a dead worker left RUNNING, queued again.
    "reclaim stale tasks": ["reclaim_stale_tasks"],
    # Objects without rows and rows without objects, reported for a person to act on.
    "reconcile storage": ["storage_reconcile"],
}
