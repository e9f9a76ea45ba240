"""Reading the commands a Redis client wrote, for tests that count or name them."""


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
