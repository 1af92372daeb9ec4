"""Drives one workload with wrk (bench/load.lua) and reads requests/s, p50 and p99 from its
report. wrk cannot look at bodies: callers check one answer themselves first."""

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

LOAD_SCRIPT = Path(__file__).with_name("load.lua")
THREADS = 2


@dataclass(frozen=True)
class Result:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int  # answers other than 2xx/3xx, socket errors and timeouts (wrk's 2 s)
    requests: int = 0  # completed in the measurement


@dataclass(frozen=True)
class Workload:
    """What load.lua sends (its arguments: see its header) to `path`, with these headers."""

    path: str
    script_args: tuple[str, ...]
    headers: tuple[str, ...] = ()


def _milliseconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise SystemExit(f"unexpected wrk latency {text!r}")
    value, unit = match.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def _field(pattern: str, output: str) -> str:
    match = re.search(pattern, output)
    if match is None:
        raise SystemExit(f"wrk printed no {pattern!r}:\n{output}")
    return match.group(1)


def run_wrk(
    base_url: str, workload: Workload, connections: int, duration_s: int, timeout_s: int = 2
) -> Result:
    """`timeout_s`: wrk's per-request timeout; an answer later than that counts as an error."""
    command = ["wrk", f"-t{THREADS}", f"-c{connections}", f"-d{duration_s}s", "--latency"]
    command += [f"--timeout={timeout_s}s"]
    for header in workload.headers:
        command += ["-H", header]
    command += ["-s", str(LOAD_SCRIPT), base_url + workload.path, "--", *workload.script_args]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    refused = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return Result(
        requests_per_s=float(_field(r"Requests/sec:\s+([\d.]+)", output)),
        p50_ms=_milliseconds(_field(r"(?m)^\s+50%\s+(\S+)", output)),
        p99_ms=_milliseconds(_field(r"(?m)^\s+99%\s+(\S+)", output)),
        errors=(int(refused.group(1)) if refused else 0)
        + (sum(map(int, socket_errors.groups())) if socket_errors else 0),
        requests=int(_field(r"(\d+) requests in", output)),
    )
