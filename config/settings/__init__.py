"""Keel's settings: ``base`` (every value from the environment) and ``test`` (the suite's).

``DJANGO_SETTINGS_MODULE=config.settings`` is ``base``; pytest uses ``config.settings.test``.
"""

from config.settings.base import *  # noqa: F403
