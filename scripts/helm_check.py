"""`make helm-check`: the Helm chart rendered for every scenario and checked as a cluster would.

For each helm/authmesh/ci/<scenario>-values.yaml: render with helm-python-sdk (Helm's own
engine, values.schema.json enforced), `helm lint --strict`, validate every object against the
Kubernetes OpenAPI schemas with kubernetes-validate --strict (offline), check the Prometheus
Operator objects (CRDs, unknown to it) against their required shape here, and scan the rendered
YAML with checkov; then lint the image's Dockerfile with hadolint. checkov must see rendered
YAML: pointed at the chart without a helm binary it passes silently. Also checks that
values.schema.json matches values.yaml and deploy/k8s the chart's current rendering.

kubernetes-validate, checkov and hadolint live in .venv-helm (git-ignored), created on first
use from deploy/helm-tools-requirements.txt. Rendered files go to build/helm/{builtin,all}/.
"""

import hashlib
import importlib.util
import re
import subprocess
import sys
import venv
from pathlib import Path
from types import ModuleType
from typing import Any

import helm_python as helm
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHART_DIR = ROOT / "helm" / "authmesh"
OUT_DIR = ROOT / "build" / "helm"
TOOLS_VENV = ROOT / ".venv-helm"
TOOLS_REQUIREMENTS = ROOT / "deploy" / "helm-tools-requirements.txt"
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"
# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest schemas known.
KUBERNETES_VERSIONS = ("1.27.0", "1.37.0")
RELEASE = "authmesh"
NAMESPACE = "authmesh"
SEVERITY_WARNING = 2


def _load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tools_venv() -> Path:
    """.venv-helm/bin, (re)installed when the pinned requirements changed."""
    stamp = TOOLS_VENV / ".requirements-sha256"
    digest = hashlib.sha256(TOOLS_REQUIREMENTS.read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        print(f"installing {TOOLS_REQUIREMENTS.name} into {TOOLS_VENV.name}", flush=True)
        venv.create(TOOLS_VENV, clear=True, with_pip=True)
        pip = [str(TOOLS_VENV / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "--no-deps", "-r", str(TOOLS_REQUIREMENTS)], check=True)  # noqa: S603
        stamp.write_text(digest)
    return TOOLS_VENV / "bin"


def render(values: dict[str, Any]) -> list[dict[str, Any]]:
    files = helm.Chart.load(CHART_DIR).render(values, name=RELEASE, namespace=NAMESPACE)
    return [
        doc
        for path in sorted(files)
        if not path.endswith("NOTES.txt")
        for doc in yaml.load_all(files[path], Loader=yaml.CSafeLoader)
        if doc
    ]


def lint_errors(values: dict[str, Any]) -> list[str]:
    report = helm.lint(CHART_DIR, values, strict=True)
    found = [str(error) for error in report.get("errors") or []]
    found += [
        f"{m['path']}: {m['error']}"
        for m in report.get("messages") or []
        if m["severity"] >= SEVERITY_WARNING
    ]
    return found


def custom_resource_errors(manifest: dict[str, Any]) -> list[str]:
    """The fields the Prometheus Operator requires of the two CRDs the chart renders."""
    kind, spec = manifest["kind"], manifest.get("spec") or {}
    errors: list[str] = []
    if kind == "ServiceMonitor":
        if not spec.get("selector", {}).get("matchLabels"):
            errors.append("ServiceMonitor without spec.selector.matchLabels")
        for endpoint in spec.get("endpoints") or [{}]:
            if not endpoint.get("port"):
                errors.append("ServiceMonitor endpoint without a port name")
    elif kind == "PrometheusRule":
        for group in spec.get("groups") or [{}]:
            if not group.get("name") or not group.get("rules"):
                errors.append("PrometheusRule group without a name or rules")
            for rule in group.get("rules") or []:
                if not rule.get("alert") or not str(rule.get("expr", "")).strip():
                    errors.append(f"PrometheusRule rule without alert or expr: {rule}")
                if rule.get("labels", {}).get("severity") not in ("warning", "critical"):
                    errors.append(f"alert {rule.get('alert')} without a severity label")
    return errors


def check_scenario(scenario: Path, bin_dir: Path) -> list[str]:
    name = scenario.name.removesuffix("-values.yaml")
    values = yaml.safe_load(scenario.read_text())
    problems = [f"lint: {error}" for error in lint_errors(values)]
    manifests = render(values)
    builtin = [m for m in manifests if m["apiVersion"] != "monitoring.coreos.com/v1"]
    for manifest in manifests:
        problems += custom_resource_errors(manifest)
    rendered = OUT_DIR / "builtin" / f"{name}.yaml"
    rendered.write_text(yaml.safe_dump_all(builtin, sort_keys=False))
    (OUT_DIR / "all" / f"{name}.yaml").write_text(yaml.safe_dump_all(manifests, sort_keys=False))
    for version in KUBERNETES_VERSIONS:
        validated = subprocess.run(  # noqa: S603 - our tools, fixed arguments
            [str(bin_dir / "kubernetes-validate"), "--strict", "--quiet", "-k", version, rendered],
            capture_output=True,
            text=True,
        )
        if validated.returncode != 0:
            problems.append(f"kubernetes-validate {version}:\n{validated.stdout}{validated.stderr}")
    kinds = sorted({m["kind"] for m in manifests})
    print(f"{name}: {len(manifests)} objects ({', '.join(kinds)}): {len(problems)} problems")
    return [f"{name}: {problem}" for problem in problems]


def checkov_problems(bin_dir: Path) -> list[str]:
    """One checkov run over every scenario's rendering (its start-up is most of its time)."""
    scanned = subprocess.run(  # noqa: S603 - our tools, fixed arguments
        [
            str(bin_dir / "checkov"),
            "--directory",
            str(OUT_DIR / "all"),
            "--framework",
            "kubernetes",
            "--skip-download",
            "--quiet",
            "--compact",
        ],
        capture_output=True,
        text=True,
    )
    if scanned.returncode != 0:
        return [f"checkov:\n{scanned.stdout}{scanned.stderr}"]
    # A scan that found nothing to check (e.g. no runner for the files) also exits 0.
    summary = re.search(
        r"Passed checks: (\d+), Failed checks: (\d+), Skipped checks: (\d+)", scanned.stdout
    )
    if summary is None or int(summary.group(1)) == 0:
        return [f"checkov checked nothing:\n{scanned.stdout}{scanned.stderr}"]
    print(f"checkov: {summary.group(0)}")
    return []


def hadolint_problems(bin_dir: Path) -> list[str]:
    linted = subprocess.run(  # noqa: S603 - our tools, fixed arguments
        [str(bin_dir / "hadolint"), str(DOCKERFILE)], capture_output=True, text=True
    )
    if linted.returncode != 0:
        return [f"hadolint {DOCKERFILE.relative_to(ROOT)}:\n{linted.stdout}{linted.stderr}"]
    return []


def main() -> None:
    for part in ("builtin", "all"):
        (OUT_DIR / part).mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    schema = _load_script("helm_schema")
    if schema.SCHEMA.read_text() != schema.render(schema.generate()):
        problems.append("values.schema.json is out of date: run scripts/helm_schema.py")
    manifests = _load_script("helm_manifests")
    if manifests.stale():
        problems.append("deploy/k8s is out of date: run scripts/helm_manifests.py")
    bin_dir = tools_venv()
    for scenario in sorted((CHART_DIR / "ci").glob("*-values.yaml")):
        problems += check_scenario(scenario, bin_dir)
    problems += checkov_problems(bin_dir)
    problems += hadolint_problems(bin_dir)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)
    print("helm-check: every scenario renders, lints, validates and scans clean")


if __name__ == "__main__":
    main()
