"""The gunicorn instance a worker serves in: what its workers share, and its drain.

``config/gunicorn.py`` gives each instance (one gunicorn master and its workers) a
directory of its own, ``$TMPDIR/keel-gunicorn-<master pid>``. Its workers share the
bucket's bulkhead slots there (``config.ops.bulkhead``). On SIGTERM, with
``GUNICORN_DRAIN_SECONDS`` set, the master marks the directory ``draining``: the instance
goes on serving for that long while ``/health/ready`` answers 503, so a load balancer
that routes by readiness stops sending it requests before its listener closes.
"""

import shutil
import tempfile
from pathlib import Path

_DRAINING = "draining"


class _Instance:
    directory: Path | None = None


_joined = _Instance()


def directory_of(master_pid: int) -> Path:
    return Path(tempfile.gettempdir()) / f"keel-gunicorn-{master_pid}"


def join(master_pid: int, *, storage_slots: int) -> None:
    """Make this (freshly forked) worker one of the instance's."""
    # Imported here: the master runs this module's other functions without Django.
    from config.ops.dependencies import storage_bulkhead

    _joined.directory = directory_of(master_pid)
    storage_bulkhead.share(_joined.directory, storage_slots)


def leave() -> None:
    from config.ops.dependencies import storage_bulkhead

    _joined.directory = None
    storage_bulkhead.close()


def is_draining() -> bool:
    return _joined.directory is not None and (_joined.directory / _DRAINING).exists()


def start_draining(master_pid: int) -> None:
    directory = directory_of(master_pid)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    (directory / _DRAINING).touch()


def remove(master_pid: int) -> None:
    shutil.rmtree(directory_of(master_pid), ignore_errors=True)
