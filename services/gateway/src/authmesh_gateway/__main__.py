"""`python -m authmesh_gateway serve`: the gateway on uvicorn with uvloop and httptools."""

import sys

import uvicorn

from authmesh_gateway.app import create_app
from authmesh_gateway.settings import GatewaySettings


def main() -> None:
    if sys.argv[1:] != ["serve"]:
        sys.exit("usage: python -m authmesh_gateway serve")
    settings = GatewaySettings()  # fields come from the environment
    uvicorn.run(
        create_app(settings),
        host=settings.gateway_host,
        port=settings.gateway_port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        # The gateway decides itself which proxies' X-Forwarded-For to believe
        # (AUTHMESH_TRUSTED_PROXIES); uvicorn's own rewriting would trust loopback regardless.
        proxy_headers=False,
        log_config=None,
        timeout_graceful_shutdown=10,
    )


main()
