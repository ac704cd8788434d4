"""Token amounts: integer base units, 1 PLX = 10^6 uplx, carried on the wire and in JSON as
decimal strings of a u128."""

from __future__ import annotations

from .errors import InvalidInput

UPLX_PER_PLX = 1_000_000
MAX_U128 = (1 << 128) - 1


def uplx(value: int | str) -> int:
    """An amount in uplx from an int of base units, or from text as a person types it:
    `2.5plx`, `10 PLX`, `2500uplx` or bare base units (`2500`)."""
    if isinstance(value, bool):
        raise InvalidInput(f"invalid amount {value!r}: expected uplx or text such as 2.5plx")
    if isinstance(value, int):
        units = value
    elif isinstance(value, str):
        units = _parse_text(value)
    else:
        raise InvalidInput(f"invalid amount {value!r}: expected uplx or text such as 2.5plx")
    if not 0 <= units <= MAX_U128:
        raise InvalidInput(f"invalid amount {value!r}: must be 0 to 2^128-1 uplx")
    return units


def _parse_text(text: str) -> int:
    s = text.strip().lower().replace("_", "")
    if s.endswith("uplx"):
        return _digits(s[:-4].strip(), text)
    if s.endswith("plx"):
        whole, _, frac = s[:-3].strip().partition(".")
        if not whole and not frac:
            raise InvalidInput(f"invalid amount {text!r}: expected a number before `plx`")
        if len(frac) > 6:
            raise InvalidInput(f"invalid amount {text!r}: PLX has at most 6 decimal places")
        w = _digits(whole, text) if whole else 0
        f = _digits(frac, text) if frac else 0
        return w * UPLX_PER_PLX + f * 10 ** (6 - len(frac))
    return _digits(s, text)


def _digits(s: str, original: str) -> int:
    if not s or not s.isascii() or not s.isdigit():
        raise InvalidInput(
            f"invalid amount {original!r}: expected a number followed by `plx` or `uplx` "
            "(for example 2.5plx)"
        )
    return int(s)


def format_plx(units: int) -> str:
    """`1500000` → `1.5plx`."""
    whole, frac = divmod(units, UPLX_PER_PLX)
    return f"{whole}.{frac:06d}".rstrip("0").rstrip(".") + "plx"
