"""Renders deploy/k8s from the Helm chart: the same deployment as plain manifests.

    .venv/bin/python scripts/helm_manifests.py          # rewrite deploy/k8s/*/authmesh.yaml
    .venv/bin/python scripts/helm_manifests.py --check  # exit 1 when they are out of date

Three kustomizations, applied in order because plain kubectl has no hooks: `bootstrap`
(the privileged Job), `migrate` (one Job per service) and `app` (everything else). The values are
deploy/k8s/values.yaml; Helm's own labels and hook annotations are left out.
"""

import argparse
import sys
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHART_DIR = ROOT / "helm" / "authmesh"
DEPLOY_DIR = ROOT / "deploy" / "k8s"
RELEASE = "authmesh"
NAMESPACE = "authmesh"
HEADER = "# Rendered from helm/authmesh by scripts/helm_manifests.py; patch it with kustomize.\n"
_HELM_ONLY_LABELS = ("helm.sh/chart", "app.kubernetes.io/managed-by")
_HOOK_ANNOTATIONS = ("helm.sh/hook", "helm.sh/hook-weight", "helm.sh/hook-delete-policy")


def _strip_helm(manifest: dict[str, Any]) -> dict[str, Any]:
    for metadata in (
        manifest["metadata"],
        manifest.get("spec", {}).get("template", {}).get("metadata"),
    ):
        if not metadata:
            continue
        for label in _HELM_ONLY_LABELS:
            metadata.get("labels", {}).pop(label, None)
        annotations = metadata.get("annotations", {})
        for annotation in _HOOK_ANNOTATIONS:
            annotations.pop(annotation, None)
        if "annotations" in metadata and not annotations:
            del metadata["annotations"]
    return manifest


def _part(manifest: dict[str, Any]) -> str:
    name = manifest["metadata"]["name"]
    if manifest["kind"] == "Job":
        return "bootstrap" if name.endswith("-bootstrap") else "migrate"
    if name.endswith("-hooks"):  # the Jobs' ServiceAccount
        return "bootstrap"
    return "app"


def rendered() -> dict[Path, str]:
    values = yaml.safe_load((DEPLOY_DIR / "values.yaml").read_text())
    files = helm.Chart.load(CHART_DIR).render(values, name=RELEASE, namespace=NAMESPACE)
    parts: dict[str, list[dict[str, Any]]] = {"bootstrap": [], "migrate": [], "app": []}
    for path in sorted(files):
        if path.endswith("NOTES.txt"):
            continue
        for doc in yaml.load_all(files[path], Loader=yaml.CSafeLoader):
            if doc:
                parts[_part(doc)].append(_strip_helm(doc))
    out: dict[Path, str] = {}
    for part, manifests in parts.items():
        out[DEPLOY_DIR / part / "authmesh.yaml"] = HEADER + yaml.safe_dump_all(
            manifests, sort_keys=False
        )
        out[DEPLOY_DIR / part / "kustomization.yaml"] = HEADER + yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "namespace": NAMESPACE,
                "resources": ["authmesh.yaml"],
            },
            sort_keys=False,
        )
    return out


def stale() -> list[Path]:
    return [
        path for path, text in rendered().items() if not path.exists() or path.read_text() != text
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if deploy/k8s is out of date")
    args = parser.parse_args()
    if args.check:
        if outdated := stale():
            sys.exit(f"out of date: {', '.join(map(str, outdated))}: run scripts/helm_manifests.py")
        return
    for path, text in rendered().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


if __name__ == "__main__":
    main()
