"""Checking the whole chain, from its newest anchor to its head, in constant memory."""

from authmesh_audit.domain.chain import Walk
from authmesh_audit.domain.model import Verification
from authmesh_audit.domain.ports import ChainStore

BATCH = 1000


async def verify_chain(chains: ChainStore, batch_size: int = BATCH) -> Verification:
    async with chains.snapshot() as snapshot:
        anchor = await snapshot.anchor()
        head = await snapshot.head()
        walk = Walk(anchor)
        after = anchor.sequence
        while after < head.sequence and not walk.failed:
            batch = await snapshot.entries_after(after, head.sequence, batch_size)
            if not batch:
                break
            for chained in batch:
                walk.check(chained)
            after = batch[-1].sequence
        return walk.finish(head)
