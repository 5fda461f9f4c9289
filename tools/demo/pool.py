"""The blocks of a load, built in this process or by a pool of spawned worker processes while it writes."""

from __future__ import annotations

import math
import multiprocessing
from collections import deque
from collections.abc import Iterator
from datetime import datetime
from multiprocessing.pool import AsyncResult

from parcels.policy import Policy
from tools.demo.generator import BLOCK, Block, RowGenerator
from tools.demo.writers import to_copy_text

_worker: RowGenerator | None = None


def start_worker(seed: int, now: datetime, policy: Policy, ids: tuple[int, int]) -> None:
    global _worker
    _worker = RowGenerator(seed, now, policy, ids)


def build_block(block_no: int, count: int, copy_text: bool) -> Block | tuple[str, str, str, int]:
    assert _worker is not None
    block = _worker.block(block_no, count)
    return (*to_copy_text(block), len(block.shipments)) if copy_text else block


def build_blocks(
    seed: int, now: datetime, policy: Policy, ids: tuple[int, int], count: int, copy_text: bool, workers: int
) -> Iterator[Block | tuple[str, str, str, int]]:
    """The blocks in order; built by ``workers`` other processes while this one writes, if more than none."""
    n_blocks = math.ceil(count / BLOCK)
    if workers <= 0 or n_blocks < 3:
        start_worker(seed, now, policy, ids)
        for block_no in range(n_blocks):
            yield build_block(block_no, count, copy_text)
        return
    context = multiprocessing.get_context("spawn")  # no fork: this process holds database connections
    with context.Pool(workers, initializer=start_worker, initargs=(seed, now, policy, ids)) as pool:
        ahead = 2 * workers + 1  # blocks built in advance: bounded, so memory stays flat
        pending: deque[AsyncResult[Block | tuple[str, str, str, int]]] = deque()
        submitted = 0
        while submitted < n_blocks and len(pending) < ahead:
            pending.append(pool.apply_async(build_block, (submitted, count, copy_text)))
            submitted += 1
        while pending:
            block = pending.popleft().get()
            if submitted < n_blocks:
                pending.append(pool.apply_async(build_block, (submitted, count, copy_text)))
                submitted += 1
            yield block
