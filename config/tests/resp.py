"""Reading the commands a Redis client wrote, for tests that count or name them, and
breaking the connection a chosen one is written on."""

from collections.abc import Callable

import redis

# What redis-py hands a connection to write: the packed command, in chunks.
Chunks = list[bytes | memoryview]


def names_written(chunks: Chunks) -> list[bytes]:
    """The names of the commands in one write (``send_packed_command``'s argument)."""
    return commands_in(b"".join(bytes(part) for part in chunks))[0]


def connection_breaks_once(
    monkeypatch, *, when: Callable[[list[bytes]], bool] = lambda names: True
) -> list[list[bytes]]:
    """The first write whose command names satisfy ``when`` fails as a connection Redis
    closed would (a restart, a proxy's idle timeout); returns the names of what broke."""
    real_send = redis.connection.AbstractConnection.send_packed_command
    broken: list[list[bytes]] = []

    def send(connection, chunks, check_health=True):
        names = names_written(chunks)
        if not broken and when(names):
            broken.append(names)
            raise redis.exceptions.ConnectionError("Connection closed by server.")
        return real_send(connection, chunks, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", send)
    return broken


def commands_in(data: bytes) -> tuple[list[bytes], bytes]:
    """The names of the whole RESP commands at the start of ``data``, and what is left."""
    names: list[bytes] = []
    while True:
        parts, rest = _command_parts(data)
        if parts is None:
            return names, data
        names.append(parts[0].upper())
        data = rest


def _command_parts(data: bytes) -> tuple[list[bytes] | None, bytes]:
    # An array of bulk strings: *<count>\r\n, then $<length>\r\n<bytes>\r\n each.
    header, found, rest = data.partition(b"\r\n")
    if not found:
        return None, data
    parts = []
    for _ in range(int(header[1:])):
        length, found, rest = rest.partition(b"\r\n")
        size = int(length[1:]) if found else -1
        if size < 0 or len(rest) < size + 2:
            return None, data
        parts.append(rest[:size])
        rest = rest[size + 2 :]
    return parts, rest
