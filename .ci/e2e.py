"""End-to-end checks over real HTTP against a running Keel (gunicorn), stdlib only
(and websockets, a runtime requirement, for the live-updates socket).

python .ci/e2e.py flow BASE_URL MAIL_DIR
    register -> verify (link from the emailed file) -> login -> item CRUD -> API key ->
    two-factor login -> file upload -> download -> logout -> the refresh token is dead
python .ci/e2e.py graceful-shutdown BASE_URL GUNICORN_PID
    SIGTERM while an upload is still arriving: it must complete, then gunicorn exits
python .ci/e2e.py resource BASE_URL PATH
    a resource made by startresource (PATH: /api/v1/notes/) keeps the contract over HTTP
python .ci/e2e.py member-token BASE_URL
    registers a new member and prints an access token (for the fuzzer)
python .ci/e2e.py events BASE_URL WS_BASE_URL
    live updates: sockets on WS_BASE_URL (the realtime process, or runserver) receive the
    events of items written over REST on BASE_URL, their owner's only
python .ci/e2e.py member-api-key BASE_URL SCOPE...
    registers a new member and prints an API key of theirs with the scopes (for the fuzzer)
python .ci/e2e.py graphql BASE_URL
    POST /api/graphql/ in production: GraphQL and REST write and read the same items,
    ifMatch and API key scopes hold, no introspection and no GraphiQL
"""

import base64
import email
import hashlib
import hmac
import http.client
import json
import os
import re
import signal
import struct
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

PASSWORD = "end to end passphrase 2026"
checks = {"passed": 0, "failed": 0}


def check(condition: bool, what: str) -> None:
    checks["passed" if condition else "failed"] += 1
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        finish()


def finish() -> None:
    print(f"e2e: {checks['passed']} passed, {checks['failed']} failed")
    sys.exit(1 if checks["failed"] else 0)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


opener = urllib.request.build_opener(NoRedirect)


def call(method: str, url: str, body=None, *, token=None, headers=None, raw=None):
    """One request; returns (status, headers, parsed JSON or bytes)."""
    headers = dict(headers or {})
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        response = opener.open(request, timeout=30)
    except urllib.error.HTTPError as error:
        response = error
    content = response.read()
    if response.headers.get("Content-Type", "").endswith("json") and content:
        content = json.loads(content)
    return response.status, response.headers, content


def multipart(filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def emailed_link(mail_dir: Path, recipient: str, timeout: float = 30) -> dict[str, str]:
    """uid and token from the newest email to ``recipient`` (sent by the task worker)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(mail_dir.glob("*.log"), key=os.path.getmtime, reverse=True):
            message = email.message_from_string(path.read_text())
            if message["To"] == recipient:
                text = next(
                    part.get_payload(decode=True).decode()
                    for part in message.walk()
                    if part.get_content_type() == "text/plain"
                )
                found = re.search(r"uid=([^&\s]+)&token=(\S+)", text)
                return {"uid": found[1], "token": found[2]}
        time.sleep(0.5)
    check(False, f"an email reached {recipient} within {timeout:g} s")
    return {}


def flow(base: str, mail_dir: Path) -> None:
    api = f"{base}/api/v1"
    address = f"e2e-{uuid.uuid4().hex[:8]}@example.com"

    status, _, user = call(
        "POST", f"{api}/auth/register/", {"email": address, "password": PASSWORD}
    )
    check(status == 201 and user["email"] == address, "register answers 201 with the user")
    link = emailed_link(mail_dir, address)
    check(bool(link), "the verification email arrived through the task worker")
    status, _, user = call("POST", f"{api}/auth/email/verify/", link)
    check(status == 200 and user["email_verified"] is True, "the emailed link verifies the email")

    status, _, pair = call("POST", f"{api}/auth/login/", {"email": address, "password": PASSWORD})
    check(status == 200 and {"access", "refresh"} <= set(pair), "login returns a token pair")
    token = pair["access"]

    status, headers, item = call("POST", f"{api}/items/", {"title": "e2e item"}, token=token)
    check(status == 201 and headers["Location"].endswith(f"/items/{item['id']}/"), "item created")
    item_url = f"{api}/items/{item['id']}/"
    status, headers, _ = call("GET", item_url, token=token)
    etag = headers["ETag"]
    check(status == 200 and etag, "item read with an ETag")
    status, _, _ = call("GET", item_url, token=token, headers={"If-None-Match": etag})
    check(status == 304, "If-None-Match answers 304")
    status, _, item = call(
        "PATCH", item_url, {"is_completed": True}, token=token, headers={"If-Match": etag}
    )
    check(status == 200 and item["completed_at"], "item completed with If-Match")
    status, _, problem = call(
        "PATCH", item_url, {"title": "x"}, token=token, headers={"If-Match": etag}
    )
    check(status == 412 and problem["code"] == "precondition_failed", "stale If-Match is 412")
    status, _, page = call("GET", f"{api}/items/?count=true", token=token)
    check(status == 200 and page["count"] == 1 and page["next"] is None, "item listed")
    status, _, problem = call("GET", f"{api}/items/?cursor=forged", token=token)
    check(status == 400 and problem["code"] == "cursor_invalid", "a forged cursor is 400")
    status, _, problem = call("GET", f"{api}/items/?page=2", token=token)
    check(status == 400 and problem["code"] == "page_not_supported", "?page= is 400")
    status, _, _ = call("DELETE", item_url, token=token)
    check(status == 204, "item deleted")
    status, _, problem = call("GET", item_url, token=token)
    check(status == 404 and problem["code"] == "not_found", "deleted item is a 404 problem")

    api_key(api, token)
    two_factor_login(api, address, token)

    content = b"hello from the end-to-end test\n" * 100
    body, content_type = multipart("e2e notes.txt", content)
    status, _, stored = call(
        "POST", f"{api}/files/", token=token, raw=body, headers={"Content-Type": content_type}
    )
    check(status == 201 and stored["size"] == len(content), "file uploaded")
    status, headers, downloaded = call("GET", f"{api}/files/{stored['id']}/download/", token=token)
    if status == 302:
        status, headers, downloaded = call("GET", headers["Location"])
    check(status == 200 and downloaded == content, "file downloaded with the same bytes")
    check("attachment" in headers.get("Content-Disposition", ""), "download is an attachment")

    status, _, _ = call("POST", f"{api}/auth/logout/", {"refresh": pair["refresh"]})
    check(status == 204, "logout revokes the refresh token")
    status, _, problem = call("POST", f"{api}/auth/token/refresh/", {"refresh": pair["refresh"]})
    check(status == 401 and problem["code"] == "token_not_valid", "the revoked token is refused")


def api_key(api: str, token: str) -> None:
    """A read-only key reads, is refused a write, and is dead once revoked."""
    status, _, created = call(
        "POST", f"{api}/auth/api-keys/", {"name": "e2e", "scopes": ["items:read"]}, token=token
    )
    check(status == 201 and created["key"].startswith("keel_"), "API key created, shown once")
    headers = {"Authorization": f"Api-Key {created['key']}"}
    status, _, _ = call("GET", f"{api}/items/", headers=headers)
    check(status == 200, "the API key reads items")
    status, _, problem = call("POST", f"{api}/items/", {"title": "no"}, headers=headers)
    check(status == 403 and problem["code"] == "insufficient_scope", "a read key cannot write")
    status, _, _ = call("DELETE", f"{api}/auth/api-keys/{created['id']}/", token=token)
    check(status == 204, "API key revoked")
    status, _, problem = call("GET", f"{api}/items/", headers=headers)
    check(status == 401 and problem["code"] == "api_key_revoked", "a revoked key is refused")


def totp_code(secret: str, steps_from_now: int = 0) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits), written out again here as an authenticator app has it."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int(time.time() // 30) + steps_from_now
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 1_000_000).zfill(6)


def two_factor_login(api: str, address: str, token: str) -> None:
    """Enrol an authenticator, then log in with the password and a code, and a recovery code."""
    status, _, enrolment = call("POST", f"{api}/auth/mfa/totp/", token=token)
    check(status == 201 and enrolment["otpauth_uri"].startswith("otpauth://totp/"), "TOTP enrol")
    secret = enrolment["secret"]
    status, _, confirmed = call(
        "POST", f"{api}/auth/mfa/totp/confirm/", {"code": totp_code(secret)}, token=token
    )
    check(status == 200 and len(confirmed["recovery_codes"]) == 10, "TOTP confirmed, 10 codes")
    credentials = {"email": address, "password": PASSWORD}
    status, _, problem = call("POST", f"{api}/auth/login/", credentials)
    check(status == 401 and problem["code"] == "mfa_required", "login asks for the second factor")
    # The current step was spent confirming; the next one is inside the accepted window.
    second_step = {"challenge": problem["challenge"], "code": totp_code(secret, 1)}
    status, _, pair = call("POST", f"{api}/auth/login/mfa/", second_step)
    check(status == 200 and {"access", "refresh"} <= set(pair), "the TOTP code completes login")
    status, _, again = call("POST", f"{api}/auth/login/mfa/", second_step)
    check(status == 401 and again["code"] == "mfa_code_reused", "a TOTP code works once")
    recovery = {"challenge": problem["challenge"], "code": confirmed["recovery_codes"][0]}
    status, _, _ = call("POST", f"{api}/auth/login/mfa/", recovery)
    check(status == 200, "a recovery code completes login")


def graceful_shutdown(base: str, gunicorn_pid: int) -> None:
    """Start an upload, SIGTERM gunicorn halfway, finish it: it must still succeed."""
    api = f"{base}/api/v1"
    address = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    call("POST", f"{api}/auth/register/", {"email": address, "password": PASSWORD})
    _, _, pair = call("POST", f"{api}/auth/login/", {"email": address, "password": PASSWORD})

    body, content_type = multipart("slow.txt", b"slow upload\n" * 20_000)
    target = urlsplit(base)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
    connection.putrequest("POST", "/api/v1/files/")
    connection.putheader("Authorization", f"Bearer {pair['access']}")
    connection.putheader("Content-Type", content_type)
    connection.putheader("Content-Length", str(len(body)))
    connection.endheaders()
    half = len(body) // 2
    connection.send(body[:half])
    time.sleep(0.5)
    os.kill(gunicorn_pid, signal.SIGTERM)
    time.sleep(1.5)
    connection.send(body[half:])
    response = connection.getresponse()
    check(response.status == 201, "the in-flight upload completed after SIGTERM")
    check(json.loads(response.read())["size"] == 20_000 * 12, "with every byte stored")

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _alive(gunicorn_pid):
        time.sleep(0.2)
    check(not _alive(gunicorn_pid), "gunicorn exited after finishing the request")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); its state in /proc says it has exited.
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\tZ" in status.read_text().split("State:")[1][:4])


def resource(base: str, path: str) -> None:
    """Two users and a generated resource: create, read, 404 to the other, 412, delete."""
    tokens = []
    for _ in range(2):
        address = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
        body = {"email": address, "password": PASSWORD}
        status, _, _ = call("POST", f"{base}/api/v1/auth/register/", body)
        check(status == 201, f"register {address}")
        status, _, pair = call("POST", f"{base}/api/v1/auth/login/", body)
        check(status == 200, f"login {address}")
        tokens.append(pair["access"])
    ann, bob = tokens
    collection = f"{base}{path}"

    status, headers, created = call("POST", collection, {"title": "Generated"}, token=ann)
    check(status == 201 and headers["Location"].endswith(f"{path}{created['id']}/"), "create")
    detail = f"{collection}{created['id']}/"
    status, headers, _ = call("GET", detail, token=ann)
    check(status == 200 and bool(headers["ETag"]), "read with an ETag")
    status, _, listed = call("GET", f"{collection}?count=true", token=ann)
    check(status == 200 and listed["count"] == 1, "the owner's list holds it")
    status, _, problem = call("GET", detail, token=bob)
    check(status == 404 and problem["code"] == "not_found", "another user gets 404")
    status, _, listed = call("GET", f"{collection}?count=true", token=bob)
    check(status == 200 and listed["count"] == 0, "another user's list is empty")
    status, _, problem = call("GET", collection + "?ordering=nope", token=ann)
    check(status == 400 and problem["code"] == "validation_error", "a bad filter is 400")
    status, _, problem = call(
        "PATCH", detail, {"title": "Late"}, token=ann, headers={"If-Match": '"stale"'}
    )
    check(status == 412 and problem["code"] == "precondition_failed", "a stale If-Match is 412")
    status, _, _ = call("DELETE", detail, token=ann)
    check(status == 204, "delete")
    status, _, schema = call("GET", f"{base}/api/schema/?format=json")
    check(status == 200 and path in schema["paths"], "the OpenAPI schema documents it")


def events(base: str, ws_base: str) -> None:
    """Items written through BASE reach their owner's socket on WS_BASE, and only theirs."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    api = f"{base}/api/v1"
    ann, bob = registered_token(api), registered_token(api)
    url = f"{ws_base}/ws/v1/events/"
    with connect(url, open_timeout=10) as anns, connect(url, open_timeout=10) as bobs:
        for socket, token in ((anns, ann), (bobs, bob)):
            socket.send(json.dumps({"type": "authenticate", "token": token}))
            answer = json.loads(socket.recv(timeout=10))
            check(answer["type"] == "authenticated", "the socket authenticates with its message")
        status, _, item = call("POST", f"{api}/items/", {"title": "live"}, token=ann)
        check(status == 201, "item created over REST")
        event = next_event(anns)
        check(
            event["type"] == "item.created" and event["data"] == item,
            "item.created reaches the owner's socket with the REST body, within 5 s",
        )
        status, _, item = call("PATCH", f"{api}/items/{item['id']}/", {"title": "x"}, token=ann)
        event = next_event(anns)
        check(event["type"] == "item.updated" and event["data"] == item, "item.updated too")
        status, _, _ = call("DELETE", f"{api}/items/{item['id']}/", token=ann)
        event = next_event(anns)
        check(event["type"] == "item.deleted" and event["data"]["id"] == item["id"], "deleted")
        check(next_event(bobs, timeout=0.5) is None, "another user's socket heard none of it")
    with connect(url, open_timeout=10) as socket:
        socket.send(json.dumps({"type": "authenticate", "token": "not-a-token"}))
        try:
            socket.recv(timeout=10)
            code = None
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
        check(code == 4002, "an invalid token closes the socket with 4002")


def next_event(socket, timeout: float = 5) -> dict | None:
    """The next frame that is not a heartbeat, or None if none comes in time."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            frame = json.loads(socket.recv(timeout=left))
        except TimeoutError:
            return None
        if frame["type"] != "ping":
            return frame
    return None


def registered_token(api: str) -> str:
    """A new member's access token."""
    body = {"email": f"e2e-{uuid.uuid4().hex[:8]}@example.com", "password": PASSWORD}
    status, _, _ = call("POST", f"{api}/auth/register/", body)
    check(status == 201, "register a member")
    status, _, pair = call("POST", f"{api}/auth/login/", body)
    check(status == 200, "log the member in")
    return pair["access"]


def member_token(base: str) -> str:
    body = {"email": f"fuzz-{uuid.uuid4().hex[:8]}@example.com", "password": PASSWORD}
    status, _, _ = call("POST", f"{base}/api/v1/auth/register/", body)
    if status == 201:
        status, _, pair = call("POST", f"{base}/api/v1/auth/login/", body)
    if status != 200:
        sys.exit(f"could not register and log in a member: {status}")
    return pair["access"]


def member_api_key(base: str, scopes: list[str], token: str | None = None) -> str:
    body = {"name": "e2e", "scopes": scopes}
    token = token or member_token(base)
    status, _, created = call("POST", f"{base}/api/v1/auth/api-keys/", body, token=token)
    if status != 201:
        sys.exit(f"could not create an API key: {status}")
    return created["key"]


def graphql(base: str) -> None:
    url, token = f"{base}/api/graphql/", member_token(base)

    def run(query: str, variables=None, bearer: str | None = None):
        body = {"query": query, "variables": variables or {}}
        status, _, answer = call("POST", url, body, token=bearer or token)
        return status, answer

    def codes(answer) -> list[str]:
        return [error["extensions"]["code"] for error in answer.get("errors", [])]

    status, created = run(
        "mutation($t: String!) { createItem(input: {title: $t}) { item { id title etag } } }",
        {"t": "over GraphQL"},
    )
    item = created["data"]["createItem"]["item"]
    check(status == 200 and item["title"] == "over GraphQL", "createItem creates an item")
    status, headers, rest = call("GET", f"{base}/api/v1/items/{item['id']}/", token=token)
    check(status == 200 and rest["title"] == "over GraphQL", "REST reads the item GraphQL wrote")
    check(headers["ETag"] == item["etag"], "the GraphQL etag is REST's ETag")
    call("PATCH", f"{base}/api/v1/items/{item['id']}/", {"title": "changed"}, token=token)
    update = "mutation($i: UpdateItemInput!) { updateItem(input: $i) { item { title } } }"
    status, stale = run(
        update, {"i": {"id": item["id"], "title": "lost", "ifMatch": item["etag"]}}
    )
    check(codes(stale) == ["precondition_failed"], "a stale ifMatch is precondition_failed")
    status, page = run(
        "{ items(first: 5) { totalCount edges { node { title owner { email } } } } }"
    )
    check(page["data"]["items"]["totalCount"] == 1, "items lists the member's item")
    check(page["data"]["items"]["edges"][0]["node"]["title"] == "changed", "and its REST change")
    key = member_api_key(base, ["items:read"], token)
    status, _, answer = call(
        "POST", url, {"query": 'mutation { createItem(input: {title: "x"}) { item { id } } }'},
        headers={"Authorization": f"Api-Key {key}"},
    )  # fmt: skip
    check(codes(answer) == ["insufficient_scope"], "a read-only API key cannot run a mutation")
    status, answer = run("{ __schema { types { name } } }")
    check(status == 400 and codes(answer) == ["introspection_disabled"], "no introspection")
    status, _, _ = call("GET", url, headers={"Accept": "text/html"})
    check(status == 405, "no GraphiQL in production")
    status, answer = run("{ me { email } }", bearer="not-a-token")
    check(status == 401 and codes(answer) == ["token_not_valid"], "a bad token is a 401")


if __name__ == "__main__":
    if sys.argv[1] == "member-token":
        print(member_token(sys.argv[2].rstrip("/")))
        sys.exit(0)
    if sys.argv[1] == "member-api-key":
        print(member_api_key(sys.argv[2].rstrip("/"), sys.argv[3:]))
        sys.exit(0)
    if sys.argv[1] == "graphql":
        graphql(sys.argv[2].rstrip("/"))
        finish()
    command, base_url, argument = sys.argv[1:4]
    if command == "flow":
        flow(base_url.rstrip("/"), Path(argument))
    elif command == "resource":
        resource(base_url.rstrip("/"), argument)
    elif command == "events":
        events(base_url.rstrip("/"), argument.rstrip("/"))
    else:
        graceful_shutdown(base_url.rstrip("/"), int(argument))
    finish()
