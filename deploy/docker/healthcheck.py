"""The image's HEALTHCHECK: the gateway's GET /api/auth/ok, or any other process's gRPC health.

Which one follows from the environment the process was started with: AUTHMESH_GATEWAY_PORT
only in the gateway, AUTHMESH_GRPC_LISTEN in every gRPC service (notify included).
"""

import os
import sys
import urllib.request

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

TIMEOUT_S = 2.0


def gateway_ok(port: str) -> bool:
    url = f"http://127.0.0.1:{port}/api/auth/ok"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def grpc_serving(listen: str) -> bool:
    port = listen.rpartition(":")[2]
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=TIMEOUT_S)
        except grpc.RpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def main() -> None:
    if port := os.environ.get("AUTHMESH_GATEWAY_PORT"):
        healthy = gateway_ok(port)
    else:
        healthy = grpc_serving(os.environ.get("AUTHMESH_GRPC_LISTEN", "127.0.0.1:50051"))
    sys.exit(0 if healthy else 1)


if __name__ == "__main__":
    main()
