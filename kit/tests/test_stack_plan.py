"""The environment each process of a stack receives: the process contract."""

from pathlib import Path

from authmesh_kit.crypto.key_ring import new_key_ring_spec
from authmesh_kit.grpc.service_auth import (
    ServiceTokenIssuer,
    ServiceTokenVerifier,
    parse_public_keys,
)
from authmesh_kit.settings import DATABASE_SERVICES, SERVICE_NAMES, Mode
from authmesh_kit.stack.__main__ import spec_from_env
from authmesh_kit.stack.plan import Plan, StackSpec, with_credentials

COMMON = {
    "AUTHMESH_MODE",
    "AUTHMESH_NAMESPACE",
    "AUTHMESH_NATS_URL",
    "AUTHMESH_REDIS_URL",
    "AUTHMESH_METRICS_PORT",
    "AUTHMESH_LOG_LEVEL",
    "AUTHMESH_SERVICE_KEY",
    "AUTHMESH_SERVICE_PUBLIC_KEYS",
    "AUTHMESH_ENCRYPTION_KEYS",
} | {f"AUTHMESH_{name.upper()}_ADDR" for name in DATABASE_SERVICES}
GATEWAY = {
    "AUTHMESH_SECRET",
    "AUTHMESH_GATEWAY_PORT",
    "AUTHMESH_BASE_URL",
    "AUTHMESH_TRUSTED_ORIGINS",
    "AUTHMESH_TRUSTED_PROXIES",
}


def make_plan(gateway_port: int | None = None) -> Plan:
    return Plan.create(
        StackSpec(
            secret="s" * 43,
            encryption_keys=new_key_ring_spec(),
            mode=Mode.TEST,
            gateway_port=gateway_port,
            admin_email="a@b",
        ),
        namespace="ns1",
        database_url="postgresql://root@/ns1?host=/run/pg",
        redis_url="redis://127.0.0.1:6379/0",
        nats_urls={name: f"nats://{name}:pw@127.0.0.1:4222" for name in SERVICE_NAMES},
        parent_env={"PATH": "/bin", "AUTHMESH_DATABASE_URL": "privileged", "AUTHMESH_X": "1"},
    )


def authmesh_keys(env: dict[str, str]) -> set[str]:
    return {key for key in env if key.startswith("AUTHMESH_")}


def test_each_process_gets_exactly_the_contract() -> None:
    plan = make_plan()
    assert authmesh_keys(plan.env("gateway")) == COMMON | GATEWAY
    assert authmesh_keys(plan.env("notify")) == COMMON | {"AUTHMESH_GRPC_LISTEN"}
    assert authmesh_keys(plan.env("identity")) == COMMON | {
        "AUTHMESH_GRPC_LISTEN",
        "AUTHMESH_IDENTITY_DATABASE_URL",
        "AUTHMESH_BASE_URL",
        "AUTHMESH_ADMIN_EMAIL",
        "AUTHMESH_ADMIN_PASSWORD",
    }
    assert authmesh_keys(plan.env("session")) == COMMON | {
        "AUTHMESH_GRPC_LISTEN",
        "AUTHMESH_SESSION_DATABASE_URL",
        "AUTHMESH_BASE_URL",
    }
    assert authmesh_keys(plan.env("mfa")) == COMMON | {
        "AUTHMESH_GRPC_LISTEN",
        "AUTHMESH_MFA_DATABASE_URL",
        "AUTHMESH_BASE_URL",
        "AUTHMESH_TRUSTED_ORIGINS",
    }
    assert authmesh_keys(plan.env("org")) == COMMON | {
        "AUTHMESH_GRPC_LISTEN",
        "AUTHMESH_ORG_DATABASE_URL",
        "AUTHMESH_BASE_URL",  # invitation links
    }
    for name in ("audit", "risk"):
        expected = COMMON | {"AUTHMESH_GRPC_LISTEN", f"AUTHMESH_{name.upper()}_DATABASE_URL"}
        assert authmesh_keys(plan.env(name)) == expected
    assert plan.env("org")["PATH"] == "/bin"


def test_values_are_consistent_across_processes() -> None:
    plan = make_plan(gateway_port=8123)
    identity, session, gateway = plan.env("identity"), plan.env("session"), plan.env("gateway")
    assert identity["AUTHMESH_GRPC_LISTEN"] == session["AUTHMESH_IDENTITY_ADDR"]
    assert identity["AUTHMESH_NATS_URL"] == "nats://identity:pw@127.0.0.1:4222"
    assert gateway["AUTHMESH_BASE_URL"] == "http://localhost:8123"
    assert identity["AUTHMESH_BASE_URL"] == gateway["AUTHMESH_BASE_URL"]
    assert session["AUTHMESH_BASE_URL"] == gateway["AUTHMESH_BASE_URL"]
    assert plan.env("mfa")["AUTHMESH_BASE_URL"] == gateway["AUTHMESH_BASE_URL"]
    assert identity["AUTHMESH_IDENTITY_DATABASE_URL"] == with_credentials(
        "postgresql://root@/ns1?host=/run/pg", "ns1_identity", plan.database_passwords["identity"]
    )
    assert identity["AUTHMESH_IDENTITY_DATABASE_URL"].endswith("@/ns1?host=/run/pg")
    ports = [int(plan.env(name)["AUTHMESH_METRICS_PORT"]) for name in SERVICE_NAMES]
    ports += [*plan.grpc_ports.values(), plan.gateway_port]
    assert len(set(ports)) == len(ports)


def test_a_service_token_from_one_process_verifies_in_another() -> None:
    plan = make_plan()
    gateway, identity = plan.env("gateway"), plan.env("identity")
    token = ServiceTokenIssuer("gateway", gateway["AUTHMESH_SERVICE_KEY"]).token_for("identity")
    keys = parse_public_keys(identity["AUTHMESH_SERVICE_PUBLIC_KEYS"])
    assert set(keys) == set(SERVICE_NAMES)
    caller = ServiceTokenVerifier("identity", keys).verify(token)
    assert caller is not None
    assert caller.service == "gateway"


def test_credentials_are_quoted_in_urls() -> None:
    url = with_credentials("postgresql://root@db:5432/x?sslmode=require", "r", "p@ss:/word")
    assert url == "postgresql://r:p%40ss%3A%2Fword@db:5432/x?sslmode=require"


def test_services_get_operator_settings_and_notify_the_mail_catcher_when_there_is_one() -> None:
    spec = StackSpec(
        secret="s" * 43,
        encryption_keys=new_key_ring_spec(),
        operator_env={"AUTHMESH_SMS_PROVIDER": "console", "AUTHMESH_PASSWORD_POLICY": "strict"},
        mail_catcher_port=8025,
    )
    plan = Plan.create(
        spec,
        namespace="ns1",
        database_url="postgresql://root@/ns1",
        redis_url="redis://127.0.0.1:6379/0",
        nats_urls=dict.fromkeys(SERVICE_NAMES, "nats://127.0.0.1:4222"),
        parent_env={"PATH": "/bin", "AUTHMESH_SMTP_HOST": "leaks-not"},
    )
    notify = plan.env("notify")
    assert notify["AUTHMESH_SMS_PROVIDER"] == "console"
    assert notify["AUTHMESH_SMTP_HOST"] == "127.0.0.1"
    assert notify["AUTHMESH_SMTP_PORT"] == str(plan.mail_catcher_smtp_port)
    assert notify["AUTHMESH_SMTP_SECURITY"] == "none"
    assert "AUTHMESH_SMTP_HOST" not in plan.env("identity")
    assert plan.env("identity")["AUTHMESH_PASSWORD_POLICY"] == "strict"
    assert plan.mail_catcher_argv() == [
        "-m",
        "authmesh_notify.catcher",
        f"--smtp-port={plan.mail_catcher_smtp_port}",
        "--http-port=8025",
    ]
    assert "AUTHMESH_SMTP_HOST" not in plan.base_env()
    assert make_plan().mail_catcher_argv() is None


def test_make_up_runs_a_catcher_only_without_an_smtp_server(tmp_path: Path) -> None:
    env = {"AUTHMESH_SECRET": "s" * 43, "AUTHMESH_SMS_PROVIDER": "twilio", "AUTHMESH_X": "1"}
    spec = spec_from_env(env, tmp_path)
    assert spec.mail_catcher_port == 8025
    assert spec.operator_env == {"AUTHMESH_SMS_PROVIDER": "twilio", "AUTHMESH_X": "1"}
    smtp = spec_from_env(env | {"AUTHMESH_SMTP_HOST": "smtp.example.com"}, tmp_path)
    assert smtp.mail_catcher_port is None
    assert smtp.operator_env["AUTHMESH_SMTP_HOST"] == "smtp.example.com"


def test_privileged_settings_reach_only_the_processes_that_need_them(tmp_path: Path) -> None:
    env = {
        "AUTHMESH_SECRETS": "v2:" + "n" * 43 + ",v1:" + "o" * 43,
        "AUTHMESH_DATABASE_URL": "postgresql://root@db/x",
        "AUTHMESH_NATS_URL": "nats://admin:pw@nats:4222",
        "AUTHMESH_ADMIN_PASSWORD": "pw",
        "AUTHMESH_IDENTITY_DATABASE_URL": "postgresql://other@db/x",
    }
    spec = spec_from_env(env, tmp_path)
    assert spec.operator_env == {}
    plan = Plan.create(
        spec,
        namespace="ns1",
        database_url="postgresql://root@/ns1",
        redis_url="redis://127.0.0.1:6379/0",
        nats_urls=dict.fromkeys(SERVICE_NAMES, "nats://127.0.0.1:4222"),
        parent_env=env,
    )
    assert plan.env("gateway")["AUTHMESH_SECRETS"] == env["AUTHMESH_SECRETS"]
    assert "AUTHMESH_SECRETS" not in plan.env("identity")
