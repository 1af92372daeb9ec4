"""Renders the Helm chart (helm/authmesh) offline with helm-python-sdk, for the chart's tests."""

from functools import cache
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

CHART_DIR = Path(__file__).resolve().parents[1] / "helm" / "authmesh"
SCENARIOS_DIR = CHART_DIR / "ci"

Manifest = dict[str, Any]


def scenario(name: str) -> dict[str, Any]:
    """The values of helm/authmesh/ci/<name>-values.yaml."""
    values = yaml.safe_load((SCENARIOS_DIR / f"{name}-values.yaml").read_text())
    assert isinstance(values, dict)
    return values


@cache
def _chart() -> helm.Chart:
    return helm.Chart.load(CHART_DIR)


def render(
    values: dict[str, Any], *, release: str = "authmesh", namespace: str = "authmesh"
) -> list[Manifest]:
    """Every object `helm template` would print, hooks included (NOTES.txt left out).

    Raises HelmValuesError when values.schema.json refuses the values and HelmRenderError
    when a template fails (the chart's `fail` checks).
    """
    files = _chart().render(values, name=release, namespace=namespace)
    manifests: list[Manifest] = []
    for path in sorted(files):
        if path.endswith("NOTES.txt"):
            continue
        manifests += [doc for doc in yaml.load_all(files[path], Loader=yaml.CSafeLoader) if doc]
    return manifests


def find(manifests: list[Manifest], kind: str, name: str) -> Manifest:
    for manifest in manifests:
        if manifest["kind"] == kind and manifest["metadata"]["name"] == name:
            return manifest
    raise LookupError(f"no {kind} {name} among the rendered objects")
