"""Bech32 (BIP 173) encoding and decoding, as the Rust `bech32` crate does it for addresses:
encoded with the Bech32 checksum; decoding accepts Bech32 or Bech32m, as that crate's
`decode` does."""

from __future__ import annotations

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_CONST = 1
_BECH32M_CONST = 0x2BC830A3
_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


class Bech32Error(ValueError):
    pass


def _polymod(values: list[int]) -> int:
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= _GEN[i] if (top >> i) & 1 else 0
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert_bits(data: bytes | list[int], from_bits: int, to_bits: int, pad: bool) -> list[int]:
    acc, bits, out = 0, 0, []
    maxv = (1 << to_bits) - 1
    for value in data:
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (to_bits - bits)) & maxv)
    elif bits >= from_bits or (acc << (to_bits - bits)) & maxv:
        raise Bech32Error("invalid padding")
    return out


def encode(hrp: str, data: bytes) -> str:
    values = _convert_bits(data, 8, 5, True)
    poly = _polymod(_hrp_expand(hrp) + values + [0] * 6) ^ _BECH32_CONST
    checksum = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[d] for d in values + checksum)


def decode(text: str) -> tuple[str, bytes]:
    """Answers (hrp, data bytes), or raises Bech32Error saying what is wrong."""
    if text.lower() != text and text.upper() != text:
        raise Bech32Error("mixed case")
    s = text.lower()
    pos = s.rfind("1")
    if pos < 1:
        raise Bech32Error("no separator `1` after a human-readable part")
    if len(s) - pos - 1 < 6:
        raise Bech32Error("too short for a checksum")
    hrp, rest = s[:pos], s[pos + 1:]
    if any(ord(c) < 33 or ord(c) > 126 for c in hrp):
        raise Bech32Error("invalid character in the human-readable part")
    try:
        values = [CHARSET.index(c) for c in rest]
    except ValueError:
        raise Bech32Error("invalid character in the data part") from None
    if _polymod(_hrp_expand(hrp) + values) not in (_BECH32_CONST, _BECH32M_CONST):
        raise Bech32Error("invalid checksum")
    return hrp, bytes(_convert_bits(values[:-6], 5, 8, False))
