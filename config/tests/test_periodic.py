from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from model_bakery import baker
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from config.ops.periodic import PERIODIC_JOBS
from storage.models import StoredFile

pytestmark = pytest.mark.django_db


def test_run_periodic_jobs_runs_every_job_once(user, caplog):
    expired = baker.make(
        OutstandingToken,
        user=user,
        jti="old",
        token="x",
        expires_at=timezone.now() - timedelta(days=1),
    )
    stale = baker.make(
        StoredFile,
        owner=user,
        status=StoredFile.Status.PENDING,
        size=1,
        object_key="u/x/stale/file.txt",
    )
    StoredFile.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(days=2))
    out = StringIO()

    call_command("run_periodic_jobs", stdout=out)

    assert not OutstandingToken.objects.filter(pk=expired.pk).exists()
    assert not StoredFile.objects.filter(pk=stale.pk).exists()
    assert "orphan object(s)" in out.getvalue()
    done = [r.job for r in caplog.records if r.getMessage() == "periodic job done"]
    assert done == [
        "flush expired tokens",
        "flush expired sessions",
        "clean up pending uploads",
        "reclaim stale tasks",
        "reconcile storage",
    ]


def test_run_periodic_jobs_only_runs_the_named_job():
    out = StringIO()
    call_command("run_periodic_jobs", "--only", "reconcile storage", stdout=out)
    assert "Deleted" not in out.getvalue()
    assert "orphan object(s)" in out.getvalue()


def test_a_failing_job_does_not_stop_the_others_and_fails_the_run(monkeypatch, caplog):
    monkeypatch.setitem(PERIODIC_JOBS, "broken", ["no_such_command"])
    with pytest.raises(CommandError, match="1 periodic job"):
        call_command("run_periodic_jobs", stdout=StringIO())
    assert any(r.getMessage() == "periodic job failed" for r in caplog.records)
    done = [r for r in caplog.records if r.getMessage() == "periodic job done"]
    assert len(done) == len(PERIODIC_JOBS) - 1


def test_run_periodic_jobs_rejects_a_non_positive_interval():
    with pytest.raises(CommandError, match="positive"):
        call_command("run_periodic_jobs", "--every", "0")


class _Stop(Exception):
    pass


# Transactional: between rounds the command closes connections, which would end a test
# transaction; serialized_rollback restores the data migrations' rows afterwards.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_run_periodic_jobs_every_repeats_the_jobs_until_stopped(monkeypatch):
    pauses = []

    def sleep(seconds):
        pauses.append(seconds)
        if len(pauses) == 2:
            raise _Stop  # the process edge: an operator stopping the scheduler

    monkeypatch.setattr("config.management.commands.run_periodic_jobs.time.sleep", sleep)
    out = StringIO()
    with pytest.raises(_Stop):
        call_command(
            "run_periodic_jobs", "--every", "5", "--only", "reconcile storage", stdout=out
        )
    assert pauses == [5.0, 5.0]
    assert out.getvalue().count("orphan object(s)") == 2
