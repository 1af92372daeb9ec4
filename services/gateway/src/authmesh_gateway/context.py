"""Everything a route needs, built once per process by the app's lifespan."""

from dataclasses import dataclass

from starlette.requests import Request

from authmesh_gateway.clients.identity import IdentityClient
from authmesh_gateway.clients.session import SessionClient
from authmesh_gateway.sessions.cache import SessionCache
from authmesh_gateway.settings import GatewaySettings
from authmesh_gateway.wire.client_ip import TrustedProxies
from authmesh_gateway.wire.cookies import CookieNames


@dataclass(frozen=True)
class GatewayContext:
    settings: GatewaySettings
    identity: IdentityClient
    session: SessionClient
    cache: SessionCache
    cookies: CookieNames
    secrets: list[str]
    trusted_proxies: TrustedProxies


def context_of(request: Request) -> GatewayContext:
    context: GatewayContext = request.app.state.ctx
    return context
