"""schema.graphql: written from the code, and checked fresh."""

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from graphql_api.schema import schema


def test_the_committed_schema_is_what_the_code_generates():
    committed = (settings.BASE_DIR / "schema.graphql").read_text()

    assert committed == schema.as_str() + "\n", "run make graphql-schema and commit it"


def test_the_command_writes_the_schema(tmp_path):
    target = tmp_path / "schema.graphql"

    call_command("graphql_schema", "--file", target)

    assert target.read_text().startswith('"""A whole number')
    assert "type Query {" in target.read_text()
    call_command("graphql_schema", "--check", "--file", target)


def test_the_check_fails_on_a_stale_file(tmp_path, capsys):
    target = tmp_path / "schema.graphql"
    call_command("graphql_schema", "--file", target)
    target.write_text(target.read_text().replace("totalCount: Int!", "total: Int!"))

    with pytest.raises(CommandError, match="stale"):
        call_command("graphql_schema", "--check", "--file", target)

    assert "+  totalCount: Int!" in capsys.readouterr().err


def test_the_check_fails_when_the_file_is_missing(tmp_path):
    with pytest.raises(CommandError, match="stale"):
        call_command("graphql_schema", "--check", "--file", tmp_path / "schema.graphql")
