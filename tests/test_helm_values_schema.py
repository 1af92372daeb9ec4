"""The Helm chart's values contract and rendered objects, without a cluster (helm-python-sdk).

values.schema.json must be what scripts/helm_schema.py makes of values.yaml, deploy/k8s what
scripts/helm_manifests.py renders; bad values must fail rendering with a message that names the
value; and the rendered objects must carry what an SRE checks first (security contexts,
probes, resources, one of each object per service, hooks in order, the environment of the
local stack's Plan, NATS permissions equal to the kit's).
"""

import copy
import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from helm_python import HelmRenderError, HelmValuesError

from authmesh_kit.settings import DATABASE_SERVICES, SERVICE_NAMES, Mode
from authmesh_kit.stack.nats_server import service_permissions
from authmesh_kit.stack.plan import Plan, StackSpec
from tests.helm_chart import CHART_DIR, Manifest, find, render, scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ["minimal", "production", "existing-secret", "monitoring"]


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _of_kind(manifests: list[Manifest], kind: str) -> list[Manifest]:
    return [m for m in manifests if m["kind"] == kind]


def _container(deployment: Manifest) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    container: dict[str, Any] = containers[0]
    return container


def test_schema_is_generated_from_values() -> None:
    schema = _script("helm_schema")
    committed = json.loads((CHART_DIR / "values.schema.json").read_text())
    assert committed == schema.generate(), "run scripts/helm_schema.py"


def test_plain_manifests_are_the_current_rendering() -> None:
    assert _script("helm_manifests").stale() == [], "run scripts/helm_manifests.py"


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_service_gets_its_objects(name: str) -> None:
    manifests = render(scenario(name))
    autoscaled = name == "production"
    for service in SERVICE_NAMES:
        full = f"authmesh-{service}"
        for kind in ("Deployment", "Service", "PodDisruptionBudget", "ServiceAccount"):
            find(manifests, kind, full)
        find(manifests, "NetworkPolicy", full)
        if autoscaled:
            assert find(manifests, "HorizontalPodAutoscaler", full)["spec"]["minReplicas"] == 3
    assert {m["metadata"].get("namespace") for m in manifests} == {"authmesh"}


@pytest.mark.parametrize("name", SCENARIOS)
def test_pods_are_locked_down(name: str) -> None:
    manifests = render(scenario(name))
    workloads = _of_kind(manifests, "Deployment") + _of_kind(manifests, "Job")
    assert len(workloads) == len(SERVICE_NAMES) + len(DATABASE_SERVICES) + 1
    for workload in workloads:
        pod = workload["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True
        container = _container(workload)
        context = container["securityContext"]
        assert context["runAsNonRoot"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["readOnlyRootFilesystem"] is True
        assert context["capabilities"]["drop"] == ["ALL"]
        assert context["seccompProfile"]["type"] == "RuntimeDefault"
        assert {"requests", "limits"} <= set(container["resources"])
        tmp = {"name": "tmp", "mountPath": "/tmp"}  # noqa: S108 - the emptyDir's mount path
        assert tmp in container["volumeMounts"]
    for deployment in _of_kind(manifests, "Deployment"):
        container = _container(deployment)
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert "grpc" in container[probe] or "httpGet" in container[probe]
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert {"checksum/config", "checksum/secret"} <= set(annotations)


def test_a_config_change_rolls_the_pods() -> None:
    values = scenario("minimal")
    before = render(values)
    values["authmesh"]["config"]["AUTHMESH_PASSWORD_POLICY"] = "strict"
    after = render(values)
    for service in SERVICE_NAMES:

        def checksum(manifests: list[Manifest], service: str = service) -> str:
            deployment = find(manifests, "Deployment", f"authmesh-{service}")
            return str(deployment["spec"]["template"]["metadata"]["annotations"]["checksum/config"])

        assert checksum(before) != checksum(after)


def test_hooks_bootstrap_then_migrate_each_service() -> None:
    manifests = render(scenario("minimal"))
    weights = {
        job["metadata"]["name"]: int(job["metadata"]["annotations"]["helm.sh/hook-weight"])
        for job in _of_kind(manifests, "Job")
    }
    migrations = {f"authmesh-migrate-{service}" for service in DATABASE_SERVICES}
    assert set(weights) == migrations | {"authmesh-bootstrap"}
    assert all(weights["authmesh-bootstrap"] < weights[name] for name in migrations)
    for job in _of_kind(manifests, "Job"):
        assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    # What the Jobs read exists before them: the hook Secret and ServiceAccount come first.
    hook_secret = find(manifests, "Secret", "authmesh-hooks")
    assert int(hook_secret["metadata"]["annotations"]["helm.sh/hook-weight"]) < min(
        weights.values()
    )
    assert "AUTHMESH_DATABASE_URL" not in find(manifests, "Secret", "authmesh")["stringData"]
    migrate = _container(find(manifests, "Job", "authmesh-migrate-identity"))
    assert migrate["command"] == ["python", "-m", "authmesh_identity", "migrate"]


def _variables(manifests: list[Manifest], service: str) -> set[str]:
    config = find(manifests, "ConfigMap", "authmesh")["data"]
    container = _container(find(manifests, "Deployment", f"authmesh-{service}"))
    return {name for name in config if name.startswith("AUTHMESH_")} | {
        item["name"] for item in container["env"] if item["name"].startswith("AUTHMESH_")
    }


def test_each_service_gets_the_variables_the_local_stack_gives_it() -> None:
    """Plan.env is the process contract of `make up` and the tests; the chart must match it."""
    plan = Plan.create(
        StackSpec(secret="s" * 32, encryption_keys="k1:x", rotated_secrets="v1:" + "s" * 32),
        namespace="authmesh",
        database_url="postgresql://admin@db/authmesh",
        redis_url="redis://redis:6379/0",
        nats_urls=dict.fromkeys(SERVICE_NAMES, "nats://nats:4222"),
        parent_env={},
    )
    manifests = render(scenario("minimal"))
    for service in SERVICE_NAMES:
        expected = {name for name in plan.env(service) if name.startswith("AUTHMESH_")}
        # The chart gives AUTHMESH_SECRETS, the versioned form that rotation needs.
        expected.discard("AUTHMESH_SECRET")
        missing = expected - _variables(manifests, service)
        assert not missing, f"{service} lacks {sorted(missing)}"


def test_nats_users_have_the_permissions_the_kit_gives_them() -> None:
    values = scenario("minimal")
    values["authmesh"]["namespace"] = "acme_prod"
    config = find(render(values), "ConfigMap", "authmesh-nats-users")["data"]
    users = config["authmesh-users.conf"]
    for service in SERVICE_NAMES:
        line = next(line for line in users.splitlines() if f'{{user: "{service}"' in line)
        publish, subscribe = re.findall(r"allow: (\[[^\]]*\])", line)
        expected = service_permissions("acme_prod", service)
        assert json.loads(publish) == expected["publish"]["allow"]
        assert json.loads(subscribe) == expected["subscribe"]["allow"]
        assert f"$AUTHMESH_NATS_PASSWORD_{service.upper()}" in line


def test_only_allowed_callers_reach_a_service() -> None:
    manifests = render(scenario("minimal"))

    def sources(service: str) -> list[str]:
        policy = find(manifests, "NetworkPolicy", f"authmesh-{service}")
        rules = [r for r in policy["spec"]["ingress"] if r["ports"][0]["port"] == "grpc"]
        return [
            peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
            for rule in rules
            for peer in rule["from"]
        ]

    assert sources("identity") == ["gateway", "session"]
    for service in ("session", "mfa", "org", "audit", "risk"):
        assert sources(service) == ["gateway"]
    assert sources("notify") == []
    gateway = find(manifests, "NetworkPolicy", "authmesh-gateway")["spec"]["ingress"]
    assert any(r["ports"][0]["port"] == "http" and "from" not in r for r in gateway)


def test_a_secret_setting_reaches_only_the_service_that_reads_it() -> None:
    manifests = render(scenario("production"))  # AUTHMESH_SMTP_PASSWORD in secrets.extra
    for service in SERVICE_NAMES:
        names = [
            i["name"]
            for i in _container(find(manifests, "Deployment", f"authmesh-{service}"))["env"]
        ]
        assert ("AUTHMESH_SMTP_PASSWORD" in names) == (service == "notify"), service


def test_existing_secret_keeps_every_secret_out_of_the_release() -> None:
    manifests = render(scenario("existing-secret"))
    assert _of_kind(manifests, "Secret") == []
    refs = {
        item["valueFrom"]["secretKeyRef"]["name"]
        for workload in _of_kind(manifests, "Deployment") + _of_kind(manifests, "Job")
        for item in _container(workload)["env"]
        if "valueFrom" in item
    }
    assert refs == {"authmesh-credentials"}


def _fails(values: dict[str, Any], error: type[Exception], *fragments: str) -> None:
    with pytest.raises(error) as caught:
        render(values)
    for fragment in fragments:
        assert fragment in str(caught.value)


def _minimal() -> dict[str, Any]:
    return copy.deepcopy(scenario("minimal"))


def test_wrong_types_fail_the_schema() -> None:
    values = _minimal()
    values["services"] = {"identity": {"replicaCount": "two"}}
    _fails(values, HelmValuesError, "/services/identity/replicaCount", "want integer")
    values = _minimal()
    values["networkPolicy"] = {"enabled": "yes"}
    _fails(values, HelmValuesError, "/networkPolicy/enabled")
    values = _minimal()
    values["services"] = {"identiy": {}}
    _fails(values, HelmValuesError, "identiy")
    values = _minimal()
    values["authmesh"]["namespace"] = "Acme-Prod"
    _fails(values, HelmValuesError, "/authmesh/namespace")


def test_a_missing_secret_fails_with_its_name() -> None:
    values = _minimal()
    del values["secrets"]["encryptionKeys"]
    _fails(values, HelmRenderError, "secrets.encryptionKeys is required")
    values = _minimal()
    del values["secrets"]["serviceKeys"]["mfa"]
    _fails(values, HelmRenderError, "secrets.serviceKeys.mfa is required")
    values = _minimal()
    del values["secrets"]["databasePasswords"]["audit"]
    _fails(values, HelmRenderError, "secrets.databasePasswords.audit is required")
    values = _minimal()
    del values["serviceAuth"]["publicKeys"]["gateway"]
    _fails(values, HelmRenderError, "serviceAuth.publicKeys.gateway is required")


def test_replicas_must_exceed_the_disruption_budget() -> None:
    values = _minimal()
    values["services"] = {"session": {"replicaCount": 1}}
    _fails(values, HelmRenderError, "services.session: 1 replicas", "minAvailable 1")
    values = _minimal()
    values["serviceDefaults"] = {
        "autoscaling": {"enabled": True, "minReplicas": 2},
        "podDisruptionBudget": {"minAvailable": 2},
    }
    _fails(values, HelmRenderError, "2 replicas with podDisruptionBudget.minAvailable 2")


def test_an_ingress_needs_trusted_proxies() -> None:
    values = _minimal()
    values["ingress"] = {"enabled": True, "host": "auth.example.com"}
    _fails(values, HelmRenderError, "ingress.enabled needs authmesh.trustedProxies")
    values["authmesh"]["trustedProxies"] = "10.0.0.0/8"
    ingress = find(render(values), "Ingress", "authmesh-gateway")
    assert ingress["spec"]["rules"][0]["host"] == "auth.example.com"


def test_production_needs_mail_and_chart_owned_variables_stay_the_charts() -> None:
    values = _minimal()
    del values["authmesh"]["config"]["AUTHMESH_SMTP_HOST"]
    _fails(values, HelmRenderError, "needs an SMTP server")
    values = _minimal()
    values["authmesh"]["config"]["AUTHMESH_MODE"] = "development"
    _fails(values, HelmRenderError, "authmesh.config.AUTHMESH_MODE")
    values = _minimal()
    values["authmesh"]["config"]["AUTHMESH_SMTP_PASSWORD"] = "hunter2"
    _fails(values, HelmRenderError, "is a secret: put it in secrets.extra")
    values = _minimal()
    values["authmesh"]["mode"] = "test"
    _fails(values, HelmValuesError, "/authmesh/mode")
    assert Mode.TEST.value == "test"  # the mode that exposes test routes is refused above


def _assert_exported(expressions: str) -> None:
    used = set(re.findall(r"\b(authmesh_[a-z_]+?)(?:_bucket|_total)?\{", expressions))
    assert used, "no Authmesh metric found"
    sources = " ".join(
        path.read_text() for path in ROOT.glob("*/**/src/**/*.py") if ".venv" not in path.parts
    )
    for metric in used:
        assert f'"{metric}' in sources, f"{metric} is used, and no code exports it"
        assert f"`{metric}" in (ROOT / "docs" / "metrics.md").read_text(), f"{metric} undocumented"


def test_alerts_use_only_metrics_the_code_exports() -> None:
    rule = find(render(scenario("monitoring")), "PrometheusRule", "authmesh")
    _assert_exported(" ".join(r["expr"] for g in rule["spec"]["groups"] for r in g["rules"]))


def test_the_dashboard_uses_only_metrics_the_code_exports() -> None:
    config = find(render(scenario("monitoring")), "ConfigMap", "authmesh-dashboard")
    dashboard = json.loads(config["data"]["authmesh.json"])
    assert config["metadata"]["labels"]["grafana_dashboard"] == "1"
    _assert_exported(" ".join(t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])))
