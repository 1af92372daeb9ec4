"""Reads of a service's tables for tests that check what was stored (each call opens and closes
its own connection)."""

import asyncpg


async def fetch(url: str, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()
