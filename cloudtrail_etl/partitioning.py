"""Send each (day, bucket) slot to a task of its own with Spark's plain hash partitioning.

`repartition(n, col)` puts a row in partition pmod(murmur3(col, seed 42), n): distinct slots would collide (two
buckets of a one-day run in one task, on two cores half the speed) and some tasks would get none. So the column
handed to Spark is not the slot but, for each slot, a value that Spark's hash sends to exactly that partition:
one task per slot, a day's files written by its own tasks, and every copy of an eventID in the same task.
"""

from __future__ import annotations

import functools

_MASK = 0xFFFFFFFF
SPARK_HASH_SEED = 42


def _rotl(value: int, bits: int) -> int:
    return ((value << bits) | (value >> (32 - bits))) & _MASK


def _mix_k1(k1: int) -> int:
    return (_rotl((k1 * 0xCC9E2D51) & _MASK, 15) * 0x1B873593) & _MASK


def _mix_h1(h1: int, k1: int) -> int:
    return (_rotl(h1 ^ k1, 13) * 5 + 0xE6546B64) & _MASK


def spark_hash_long(value: int, seed: int = SPARK_HASH_SEED) -> int:
    """Spark's `hash(bigint)` (Murmur3_x86_32.hashLong), as a signed 32-bit int."""
    h1 = _mix_h1(seed, _mix_k1(value & _MASK))
    h1 = _mix_h1(h1, _mix_k1((value >> 32) & _MASK))
    h1 ^= 8
    h1 ^= h1 >> 16
    h1 = (h1 * 0x85EBCA6B) & _MASK
    h1 ^= h1 >> 13
    h1 = (h1 * 0xC2B2AE35) & _MASK
    h1 ^= h1 >> 16
    return h1 - (1 << 32) if h1 & 0x80000000 else h1


@functools.lru_cache(maxsize=16)
def partition_values(partitions: int) -> tuple[int, ...]:
    """values[i] is a bigint that Spark's hash partitioning into `partitions` sends to partition i."""
    found: dict[int, int] = {}
    candidate = 0
    while len(found) < partitions:
        found.setdefault(spark_hash_long(candidate) % partitions, candidate)
        candidate += 1
    return tuple(found[i] for i in range(partitions))
