"""A minimal proto3 encoder: exactly the rules prost follows for the messages Plexus signs.

Scalars at their default (0, empty string, empty bytes, false) are left out; a sub-message
that is set is always written, even when empty; repeated integers are packed; fields are
written in field-number order, which is the order callers list them in.
"""

from __future__ import annotations

from typing import Iterable

_VARINT = 0
_LEN = 2


def varint(n: int) -> bytes:
    if n < 0 or n >= 1 << 64:
        raise ValueError(f"{n} does not fit in an unsigned 64-bit varint")
    out = bytearray()
    while True:
        low = n & 0x7F
        n >>= 7
        if n:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _key(field: int, wire_type: int) -> bytes:
    return varint(field << 3 | wire_type)


def uint(field: int, value: int) -> bytes:
    """A uint32/uint64 field, left out at 0."""
    return _key(field, _VARINT) + varint(value) if value else b""


def boolean(field: int, value: bool) -> bytes:
    return _key(field, _VARINT) + b"\x01" if value else b""


def blob(field: int, value: bytes) -> bytes:
    """A bytes field, left out when empty."""
    return _key(field, _LEN) + varint(len(value)) + value if value else b""


def text(field: int, value: str) -> bytes:
    """A string field, left out when empty."""
    return blob(field, value.encode("utf-8"))


def message(field: int, encoded: bytes) -> bytes:
    """A set sub-message (or oneof member): written even when it is empty."""
    return _key(field, _LEN) + varint(len(encoded)) + encoded


def repeated_blob(field: int, values: Iterable[bytes]) -> bytes:
    return b"".join(_key(field, _LEN) + varint(len(v)) + v for v in values)


def packed_uint(field: int, values: Iterable[int]) -> bytes:
    body = b"".join(varint(v) for v in values)
    return message(field, body) if body else b""
