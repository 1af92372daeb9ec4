"""Prints a values file with fresh secrets for the Helm chart (helm/authmesh).

    .venv/bin/python scripts/helm_secrets.py --database-admin-url postgresql://... > secrets.yaml
    helm install authmesh helm/authmesh -f my-values.yaml -f secrets.yaml

It makes what the chart cannot: an Ed25519 key pair per service (the public halves go to
serviceAuth.publicKeys), a cookie secret, an AES-256-GCM key ring, and a password for each
service's Postgres role and NATS user. Keep the file in a secret store. `--existing-secret NAME`
prints the same as a Kubernetes Secret named NAME instead, with the public keys as
AUTHMESH_SERVICE_PUBLIC_KEYS: for secrets.existingSecret with serviceAuth.publicKeysFromSecret
(and for deploy/k8s).
"""

import argparse
import secrets
import sys
from typing import Any

import yaml

from authmesh_kit.crypto.key_ring import new_key_ring_spec
from authmesh_kit.grpc.service_auth import generate_key_pair
from authmesh_kit.settings import DATABASE_SERVICES, SERVICE_NAMES

NATS_ADMIN_USER = "admin"


def _password() -> str:
    # URL-safe: the chart puts passwords into database and NATS URLs unescaped.
    return secrets.token_urlsafe(24)


def secret_values(database_admin_url: str) -> dict[str, Any]:
    """The chart values of a complete set of fresh secrets."""
    pairs = {name: generate_key_pair() for name in SERVICE_NAMES}
    return {
        "serviceAuth": {"publicKeys": {name: pair[1] for name, pair in pairs.items()}},
        "secrets": {
            "cookieSecrets": f"v1:{secrets.token_urlsafe(32)}",
            "encryptionKeys": new_key_ring_spec(),
            "databaseAdminUrl": database_admin_url,
            "databasePasswords": {name: _password() for name in DATABASE_SERVICES},
            "natsPasswords": {name: _password() for name in (NATS_ADMIN_USER, *SERVICE_NAMES)},
            "serviceKeys": {name: pair[0] for name, pair in pairs.items()},
        },
    }


def secret_data(values: dict[str, Any]) -> dict[str, str]:
    """The keys of an existing Secret the chart reads (docs/operations.md), from `values`."""
    given = values["secrets"]
    data = {
        "AUTHMESH_SECRETS": given["cookieSecrets"],
        "AUTHMESH_ENCRYPTION_KEYS": given["encryptionKeys"],
    }
    if given["databaseAdminUrl"]:
        data["AUTHMESH_DATABASE_URL"] = given["databaseAdminUrl"]
    data |= {f"service-key-{name}": key for name, key in given["serviceKeys"].items()}
    public = values["serviceAuth"]["publicKeys"]
    data["AUTHMESH_SERVICE_PUBLIC_KEYS"] = ",".join(f"{n}:{k}" for n, k in public.items())
    data |= {f"database-password-{n}": p for n, p in given["databasePasswords"].items()}
    data |= {f"nats-password-{n}": p for n, p in given["natsPasswords"].items()}
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-admin-url", default="", help="privileged URL for bootstrap")
    parser.add_argument("--existing-secret", metavar="NAME", help="print a Secret named NAME")
    args = parser.parse_args()
    values = secret_values(args.database_admin_url)
    if args.existing_secret:
        secret = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": args.existing_secret},
            "type": "Opaque",
            "stringData": secret_data(values),
        }
        yaml.safe_dump(secret, sys.stdout, sort_keys=False)
        return
    yaml.safe_dump(values, sys.stdout, sort_keys=False)


if __name__ == "__main__":
    main()
