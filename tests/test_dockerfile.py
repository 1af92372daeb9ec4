"""The image's Dockerfile, checked statically (no Docker engine here; `make helm-check` runs
hadolint on it): a pinned base, every service installed from the pinned constraints, a non-root
user the chart's security context agrees with, and a health check."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def _final_stage() -> list[tuple[str, str]]:
    instructions = _instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def test_the_base_image_is_pinned() -> None:
    instructions = _instructions()
    args = dict(
        rest.split("=", 1) for keyword, rest in instructions if keyword == "ARG" and "=" in rest
    )
    for keyword, rest in instructions:
        if keyword != "FROM":
            continue
        image = rest.split()[0]
        image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image)
        exact_tag = re.fullmatch(r"python:3\.11\.\d+-slim-[a-z]+", image)
        digest = re.search(r"@sha256:[0-9a-f]{64}$", image)
        assert exact_tag or digest, f"FROM {image} is neither an exact tag nor a digest"


def test_every_service_is_installed_from_the_constraints() -> None:
    runs = " ".join(rest for keyword, rest in _instructions() if keyword == "RUN")
    assert "-c constraints.txt" in runs
    services = {path.parent.name for path in (ROOT / "services").glob("*/pyproject.toml")}
    installed = set(re.findall(r"\./services/([a-z]+)", runs))
    assert installed == services
    assert "./kit" in runs and "./proto" in runs


def test_the_image_runs_as_the_user_the_chart_expects() -> None:
    users = [rest for keyword, rest in _final_stage() if keyword == "USER"]
    assert users, "the final stage sets no USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) != 0 and gid.isdigit() and int(gid) != 0
    values = yaml.safe_load((ROOT / "helm" / "authmesh" / "values.yaml").read_text())
    assert values["containerSecurityContext"]["runAsUser"] == int(uid)
    assert values["containerSecurityContext"]["runAsGroup"] == int(gid)


def test_the_image_checks_its_own_health_and_writes_no_bytecode() -> None:
    final = _final_stage()
    healthchecks = [rest for keyword, rest in final if keyword == "HEALTHCHECK"]
    assert healthchecks and "healthcheck.py" in healthchecks[0]
    env = " ".join(rest for keyword, rest in final if keyword == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env  # the root filesystem is read-only


def test_the_build_context_holds_what_the_dockerfile_copies() -> None:
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    allowed = [line[1:] for line in ignore if line.startswith("!")]
    for keyword, rest in _instructions():
        if keyword != "COPY" or rest.startswith("--from"):
            continue
        for source in rest.split()[:-1]:
            assert any(
                pattern.rstrip("*").rstrip("/").startswith(source.rstrip("/"))
                or source.startswith(pattern.rstrip("*").rstrip("/"))
                for pattern in allowed
            ), f"COPY {source} is excluded by .dockerignore"
