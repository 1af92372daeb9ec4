"""The benchmark report: Markdown, printed and written to var/bench/<name>.md."""

import os
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from bench.argon2_bound import Argon2Bound
from bench.audit_latency import AuditLatency
from bench.check_permission import PermissionLatency
from bench.cpu import CpuPerRequest
from bench.wrk import Result

AUTHMESH = "authmesh"
PEER = "better-auth peer"
GET_SESSION = "get-session"


@dataclass
class Report:
    name: str
    command: str
    settings: list[str]  # how the load was driven, one line each
    bound: Argon2Bound
    side_by_side: dict[str, dict[str, Result]] = field(default_factory=dict)  # workload → server
    growth: dict[str, dict[str, Result | str]] = field(default_factory=dict)  # rows → workload
    load_average: list[str] = field(default_factory=list)
    audit: AuditLatency | None = None  # event to audit entry under sign-in load
    permissions: PermissionLatency | None = None  # org's CheckPermission from its cache
    sign_in_cpu: CpuPerRequest | None = None  # Authmesh's CPU per password sign-in

    def markdown(self) -> str:
        lines = [f"# Authmesh benchmark `{self.name}`", "", *_machine(), ""]
        lines += [f"Command: `{self.command}`", "", *(f"- {line}" for line in self.settings)]
        lines += ["", "## Side by side", "", *self._side_by_side(), ""]
        lines += ["## Budgets (DESIGN §6)", "", *self._budgets(), ""]
        if self.sign_in_cpu is not None:
            lines += ["## Where a password sign-in's CPU goes (Authmesh)", ""]
            lines += [*self._sign_in_cpu(self.sign_in_cpu), ""]
        if self.growth:
            lines += ["## Data growth (Authmesh)", "", *self._growth(), ""]
        lines += [f"Load average: {', '.join(self.load_average)}", ""]
        return "\n".join(lines)

    def _side_by_side(self) -> list[str]:
        lines = [
            "| workload | server | requests/s | p50 ms | p99 ms | errors |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for workload, servers in self.side_by_side.items():
            lines += [
                f"| {workload} | {server} | {_row(result)} |" for server, result in servers.items()
            ]
        ratios = [
            f"- {workload}: Authmesh does {_ratio(servers)}"
            for workload, servers in self.side_by_side.items()
            if PEER in servers
        ]
        return lines + (["", *ratios] if ratios else [])

    def _budgets(self) -> list[str]:
        lines = [f"- Password hashing bound: {self.bound.describe()}."]
        sign_in = self.side_by_side.get("sign-in", {}).get(AUTHMESH)
        if sign_in is not None:
            share = sign_in.requests_per_s / self.bound.hashes_per_s
            verdict = "met" if share >= 0.8 else "NOT met"
            lines.append(
                f"- Password sign-in: {sign_in.requests_per_s:.1f} requests/s ="
                f" {share:.0%} of the bound (budget ≥ 80%: {verdict})."
            )
        servers = self.side_by_side.get(GET_SESSION, {})
        if AUTHMESH in servers and PEER in servers and servers[PEER].requests_per_s:
            ours, peer = servers[AUTHMESH], servers[PEER]
            ratio = ours.requests_per_s / peer.requests_per_s
            met = ratio >= 3 and ours.p99_ms < peer.p99_ms
            lines.append(
                f"- get-session: {ratio:.2f}x the peer's requests/s, p99 {ours.p99_ms:.1f} ms"
                f" against {peer.p99_ms:.1f} ms (budget ≥ 3x and a lower p99:"
                f" {'met' if met else 'NOT met'})."
            )
        else:
            lines.append("- get-session against the peer: run with --peer to compare.")
        if self.audit is not None:
            lines.append(f"- Event to audit entry: {self.audit.describe()}.")
        if self.permissions is not None:
            lines.append(f"- CheckPermission: {self.permissions.describe()}.")
        return lines

    def _sign_in_cpu(self, cpu: CpuPerRequest) -> list[str]:
        hash_ms = self.bound.single_hash_ms
        ceiling = self.bound.cores * 1000 / cpu.total_ms
        return [
            f"wrk at {cpu.connections} connections, {cpu.requests} sign-ins; user + system CPU"
            " time of each process (all threads) per sign-in, in ms:",
            "",
            "| process | CPU ms |",
            "|---|---:|",
            *(f"| {name} | {ms:.2f} |" for name, ms in cpu.per_process_ms.items()),
            f"| **total** | {cpu.total_ms:.2f} |",
            "",
            f"One hash alone takes {hash_ms:.1f} ms ({hash_ms / cpu.total_ms:.0%} of the total);"
            f" all {self.bound.cores} cores spent on nothing else allow {ceiling:.1f} sign-ins/s,"
            f" {ceiling / self.bound.hashes_per_s:.0%} of the bound.",
        ]

    def _growth(self) -> list[str]:
        workloads = list(next(iter(self.growth.values())))
        lines = [
            "| rows | " + " | ".join(workloads) + " |",
            "|---|" + "---|" * len(workloads),
        ]
        for rows, results in self.growth.items():
            cells = [_cell(results[workload]) for workload in workloads]
            lines.append(f"| {rows} | " + " | ".join(cells) + " |")
        return [*lines, "", "Each cell: requests/s, p50 / p99 in ms."]


def _row(result: Result) -> str:
    return (
        f"{result.requests_per_s:.0f} | {result.p50_ms:.2f} | {result.p99_ms:.2f} | {result.errors}"
    )


def _cell(result: Result | str) -> str:
    if isinstance(result, str):
        return result
    errors = f", {result.errors} errors" if result.errors else ""
    return f"{result.requests_per_s:.0f}/s, {result.p50_ms:.2f} / {result.p99_ms:.2f}{errors}"


def _ratio(servers: dict[str, Result]) -> str:
    ours, peer = servers[AUTHMESH], servers[PEER]
    if not (peer.requests_per_s and peer.p99_ms):
        return "something; the peer answered nothing"
    return (
        f"{ours.requests_per_s / peer.requests_per_s:.2f}x the peer's requests/s,"
        f" with {ours.p99_ms / peer.p99_ms:.2f}x its p99"
    )


def _machine() -> list[str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return [
        f"Machine: {os.cpu_count()} cores ({cpu}), {memory_kib / 1024 / 1024:.0f} GiB;"
        f" Python {platform.python_version()}; commit {commit or 'unknown'}."
    ]
