"""check --deploy warns when passwords are hashed below every OWASP minimum."""

import pytest

from accounts import checks


def ids(found) -> list[str]:
    return [message.id for message in found]


@pytest.mark.parametrize(("memory", "passes"), [(7_168, 5), (19_456, 2), (12_288, 3), (65_536, 3)])
def test_argon2_at_or_above_an_owasp_minimum_passes(settings, memory, passes):
    settings.ARGON2_MEMORY_COST_KIB, settings.ARGON2_TIME_COST = memory, passes

    assert checks.passwords_hashed_at_owasp_minimum(None) == []


@pytest.mark.parametrize(("memory", "passes"), [(7_168, 4), (19_455, 2), (47_103, 1), (1_024, 10)])
def test_argon2_below_every_owasp_minimum_is_a_warning(settings, memory, passes):
    settings.ARGON2_MEMORY_COST_KIB, settings.ARGON2_TIME_COST = memory, passes

    assert ids(checks.passwords_hashed_at_owasp_minimum(None)) == ["keel.W005"]


def test_check_deploy_runs_it(settings):
    from django.core.checks import run_checks

    settings.ARGON2_MEMORY_COST_KIB, settings.ARGON2_TIME_COST = 1_024, 1

    assert "keel.W005" in ids(run_checks(include_deployment_checks=True))
