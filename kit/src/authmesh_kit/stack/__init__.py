"""One way to run the whole platform, used by `make up` and by the tests alike.

`backing` provides Postgres, NATS and Redis; `plan` decides ports, keys, passwords and each
process's environment; `supervisor` bootstraps, migrates, starts and stops the processes.

The process contract, what every service's `serve` reads (`migrate` needs only its database):
- every process: AUTHMESH_MODE, AUTHMESH_NAMESPACE, AUTHMESH_NATS_URL (its own NATS user),
  AUTHMESH_REDIS_URL, AUTHMESH_METRICS_PORT, AUTHMESH_LOG_LEVEL, AUTHMESH_SERVICE_KEY (its
  private key), AUTHMESH_SERVICE_PUBLIC_KEYS (`name:key,...` for all eight services) and
  AUTHMESH_<SVC>_ADDR for identity, session, mfa, org, audit and risk;
- every process but the gateway: AUTHMESH_GRPC_LISTEN (notify serves only health there);
- identity, session, mfa, org, audit, risk: AUTHMESH_<SVC>_DATABASE_URL, as its own role;
- gateway: AUTHMESH_SECRET, AUTHMESH_GATEWAY_PORT, AUTHMESH_BASE_URL,
  AUTHMESH_TRUSTED_ORIGINS, AUTHMESH_TRUSTED_PROXIES;
- identity: AUTHMESH_ADMIN_EMAIL and AUTHMESH_ADMIN_PASSWORD, when an admin is to be seeded.
The rest of the parent environment passes through, except every other AUTHMESH_ variable.
"""
