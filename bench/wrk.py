"""Running wrk and reading its report."""

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA_DIR = Path(__file__).resolve().parent / "lua"
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    errors: int


def wrk_binary() -> str:
    """wrk from the OS packages, installed if missing (the bench machine is Debian)."""
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found; installing it with apt-get", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)  # noqa: S607
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)  # noqa: S607
    return shutil.which("wrk") or "wrk"


def run_wrk(
    wrk: str, *, url: str, script: str | None, connections: int, seconds: float, env: dict
) -> WrkResult:
    command = [wrk, "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", "--timeout", "10s"]
    if script:
        command += ["-s", str(LUA_DIR / script)]
    completed = subprocess.run(  # noqa: S603 - our own arguments
        [*command, url], env=env, capture_output=True, text=True, check=True
    )
    return parse_wrk(completed.stdout)


def parse_wrk(output: str) -> WrkResult:
    def number(pattern: str, default: str = "0") -> str:
        found = re.search(pattern, output, re.M)
        return found[1] if found else default

    errors = sum(
        int(count)
        for count in re.findall(
            r"(?:connect|read|write|timeout) (\d+)", number(r"Socket errors:(.*)$", "")
        )
    )
    return WrkResult(
        requests_per_second=float(number(r"^Requests/sec:\s+([\d.]+)")),
        p50_ms=_duration_ms(number(r"^\s+50%\s+(\S+)", "0ms")),
        p99_ms=_duration_ms(number(r"^\s+99%\s+(\S+)", "0ms")),
        requests=int(number(r"^\s+(\d+) requests in")),
        non_2xx=int(number(r"^\s+Non-2xx or 3xx responses:\s+(\d+)")),
        errors=errors,
    )


def _duration_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return round(float(value) * _UNITS[unit], 3)
