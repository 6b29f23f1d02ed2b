"""Array steps of the ledger's computation done in pieces of :data:`CHUNK` elements, so that a
ten-million-interval city never makes a full-length temporary (numpy has no such chunked forms;
they are small and kept here, shared by :mod:`halqa.ledger.analysis` and :mod:`halqa.ledger.detection`)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

__all__ = ["CHUNK", "add_scaled", "compress", "pieces", "sorted_with_order", "take"]

CHUNK = 1 << 20  # elements per piece where a full-length temporary is avoided by working in pieces


def pieces(n: int, begin: int = 0) -> Iterator[tuple[int, int]]:
    """``(lo, hi)`` ranges of at most ``CHUNK`` covering ``begin .. n``."""
    return ((lo, min(lo + CHUNK, n)) for lo in range(begin, n, CHUNK))


def take(a: np.ndarray, idx: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a[idx]`` into ``out`` (may be ``idx`` itself), in pieces so that no full-length temporary is made."""
    if out is None:
        out = np.empty(len(idx), dtype=a.dtype)
    for lo, hi in pieces(len(idx)):
        out[lo:hi] = np.take(a, idx[lo:hi], mode="clip")  # the indices are valid; "clip" skips a slow checked path
    return out


def compress(mask: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``a[mask]`` into the front of ``out``, in pieces (``out`` may be ``a`` itself: each piece is read before
    it is overwritten)."""
    pos = 0
    for lo, hi in pieces(len(a)):
        part = a[lo:hi][mask[lo:hi]]
        out[pos:pos + len(part)] = part
        pos += len(part)
    return out[:pos]


def add_scaled(target: np.ndarray, group: np.ndarray, factor: int) -> None:
    """``target += group * factor`` in int64 (``group`` may be int32), in pieces."""
    for lo, hi in pieces(len(target)):
        g = group[lo:hi].astype(np.int64)
        g *= factor
        target[lo:hi] += g


def sorted_with_order(key: np.ndarray, key_max: int) -> tuple[np.ndarray, np.ndarray]:
    """``(sorted key, order)`` for a non-negative int64 ``key`` (all ``<= key_max``; overwritten), ties kept in
    input order.

    When ``key_max`` and the row number fit together in 64 bits (the usual case) the row number is
    packed into the low bits and the packed values are sorted with ``np.sort``, whose SIMD sort is
    several times faster than ``np.argsort`` (on the benchmark's 9 M keys: 0.2 s against 1.1 s for
    a stable argsort); the packing also makes it stable. Otherwise a stable argsort."""
    n = len(key)
    bits = max(int(n - 1).bit_length(), 1)
    if (int(key_max) + 1) << bits <= 1 << 64:
        packed = key.view(np.uint64)  # in place: the caller's key is a temporary
        packed <<= np.uint64(bits)
        for lo, hi in pieces(n):
            packed[lo:hi] |= np.arange(lo, hi, dtype=np.uint64)
        packed.sort()
        order = np.empty(n, dtype=np.int32 if bits <= 31 else np.int64)  # int32: half the memory
        mask = np.uint64((1 << bits) - 1)
        for lo, hi in pieces(n):
            order[lo:hi] = packed[lo:hi] & mask
        packed >>= np.uint64(bits)
        return packed.view(np.int64), order
    order = np.argsort(key, kind="stable")
    return key[order], order
