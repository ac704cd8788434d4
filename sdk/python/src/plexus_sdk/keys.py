"""Ed25519 account and device keys, and the addresses derived from them."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import blake3
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from . import _bech32
from .errors import InvalidInput

ADDRESS_HRP = "plx"
ADDRESS_LEN = 20


@dataclass(frozen=True)
class Address:
    """A 20-byte account address: the first 20 bytes of blake3(public key), shown as bech32
    with the prefix `plx`."""

    raw: bytes

    def __post_init__(self) -> None:
        if len(self.raw) != ADDRESS_LEN:
            raise InvalidInput(f"invalid address: expected {ADDRESS_LEN} bytes, found {len(self.raw)}")

    @classmethod
    def from_public_key(cls, public_key: bytes) -> "Address":
        if len(public_key) != 32:
            raise InvalidInput(f"invalid public key: expected 32 bytes, found {len(public_key)}")
        return cls(blake3.blake3(public_key).digest()[:ADDRESS_LEN])

    @classmethod
    def parse(cls, text: "str | Address") -> "Address":
        """Parses `plx1…`; raises InvalidInput saying what is wrong."""
        if isinstance(text, Address):
            return text
        if not isinstance(text, str):
            raise InvalidInput(f"invalid address {text!r}: expected text such as plx1…")
        try:
            hrp, data = _bech32.decode(text)
        except _bech32.Bech32Error as e:
            raise InvalidInput(f"invalid address {text!r}: not valid bech32 ({e})") from None
        if hrp != ADDRESS_HRP:
            raise InvalidInput(f"invalid address {text!r}: expected prefix `plx`, found `{hrp}`")
        if len(data) != ADDRESS_LEN:
            raise InvalidInput(f"invalid address {text!r}: expected {ADDRESS_LEN} bytes, found {len(data)}")
        return cls(data)

    def __str__(self) -> str:
        return _bech32.encode(ADDRESS_HRP, self.raw)


class Key:
    """An Ed25519 secret key (its 32-byte seed), as Plexus accounts and devices use."""

    def __init__(self, seed: bytes):
        if len(seed) != 32:
            raise InvalidInput(f"invalid secret key: expected 32 bytes, found {len(seed)}")
        self._seed = bytes(seed)
        self._key = Ed25519PrivateKey.from_private_bytes(self._seed)
        self.public_key: bytes = self._key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.address = Address.from_public_key(self.public_key)

    @classmethod
    def generate(cls) -> "Key":
        return cls(os.urandom(32))

    @classmethod
    def from_hex(cls, secret_hex: str) -> "Key":
        """From the 64 hex digits of a seed (the `secret_key` of a keyring file)."""
        s = secret_hex.strip().removeprefix("0x")
        try:
            seed = bytes.fromhex(s)
        except ValueError:
            raise InvalidInput("invalid secret key: expected 64 hex digits") from None
        return cls(seed)

    @classmethod
    def from_file(cls, path: "str | os.PathLike[str]") -> "Key":
        """From a keyring file of the `test` backend (JSON with `secret_key`), or a file that
        holds only the hex seed. The file's `address`, if any, must match the key."""
        text = Path(path).read_text().strip()
        if not text.startswith("{"):
            return cls.from_hex(text)
        try:
            doc = json.loads(text)
            key = cls.from_hex(doc["secret_key"])
        except (ValueError, KeyError) as e:
            raise InvalidInput(f"{path}: not a keyring file with a secret_key ({e})") from None
        if "address" in doc and doc["address"] != str(key.address):
            raise InvalidInput(f"{path}: its address {doc['address']} is not its key's {key.address}")
        return key

    @property
    def seed(self) -> bytes:
        return self._seed

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def __repr__(self) -> str:
        return f"Key(address={self.address})"
