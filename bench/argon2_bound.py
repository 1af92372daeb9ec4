"""The machine's argon2id bound (DESIGN §6): how many password checks per second all its cores
can do with identity's parameters, the ceiling of any password sign-in here. Measured with
argon2-cffi, one process per core, each verifying for the same few seconds."""

import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from argon2 import PasswordHasher

from authmesh_identity.settings import IdentitySettings

_PASSWORD = "bench-password-123"  # noqa: S105 - hashed for timing only


@dataclass(frozen=True)
class Argon2Bound:
    memory_kib: int
    time_cost: int
    parallelism: int
    cores: int
    single_hash_ms: float  # one core alone
    hashes_per_s: float  # all cores at once

    def describe(self) -> str:
        return (
            f"argon2id m={self.memory_kib} KiB, t={self.time_cost}, p={self.parallelism}"
            f" (identity's defaults): {self.single_hash_ms:.1f} ms per hash on one core,"
            f" {self.hashes_per_s:.1f} hashes/s on all {self.cores} cores"
        )


def _hasher() -> PasswordHasher:
    settings = IdentitySettings.model_construct()  # the defaults identity runs with
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
    )


def _verifications(duration_s: float) -> int:
    """Verifications one process completes in `duration_s`."""
    hasher = _hasher()
    password_hash = hasher.hash(_PASSWORD)
    done = 0
    deadline = time.perf_counter() + duration_s
    while time.perf_counter() < deadline:
        hasher.verify(password_hash, _PASSWORD)
        done += 1
    return done


def measure_argon2_bound(duration_s: float = 5.0) -> Argon2Bound:
    cores = os.cpu_count() or 1
    single = _verifications(duration_s / 2)
    with ProcessPoolExecutor(cores) as pool:
        total = sum(pool.map(_verifications, [duration_s] * cores))
    settings = IdentitySettings.model_construct()
    return Argon2Bound(
        memory_kib=settings.argon2_memory_kib,
        time_cost=settings.argon2_time_cost,
        parallelism=settings.argon2_parallelism,
        cores=cores,
        single_hash_ms=duration_s / 2 / single * 1000,
        hashes_per_s=total / duration_s,
    )
