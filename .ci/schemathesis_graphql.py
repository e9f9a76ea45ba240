"""Schemathesis hooks for the GraphQL fuzz (.ci/run, with .ci/schemathesis-graphql.toml).

Schemathesis' own ``not_a_server_error`` counts any error at a field's ``path`` as the
server's failure unless its code is one of Apollo's; Keel's field errors carry REST's
codes (``not_found``, ``validation_error``...), which it cannot know. This check asks the
answer itself: a server error is a 5xx status, or an error whose ``extensions`` say 5xx
or ``server_error``; and every error must carry a ``code`` and a ``status``.
"""

import json

import schemathesis


@schemathesis.check
def graphql_not_a_server_error(ctx, response, case):
    """No 5xx, and every GraphQL error names its REST code and a 4xx status."""
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:500]}")
    try:
        body = json.loads(response.text)
    except ValueError as error:
        raise AssertionError(f"not JSON: {response.text[:200]}") from error
    if not isinstance(body, dict):
        raise AssertionError(f"not a GraphQL response object: {response.text[:200]}")
    for error in body.get("errors") or []:
        extensions = error.get("extensions") or {}
        code, status = extensions.get("code"), extensions.get("status")
        if not isinstance(code, str) or not isinstance(status, int):
            raise AssertionError(f"an error without a code and status: {error}")
        if code == "server_error" or status >= 500:
            raise AssertionError(f"a server error: {error}")
