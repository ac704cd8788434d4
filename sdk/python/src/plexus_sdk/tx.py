"""Transactions as the node expects them, byte for byte (proto/plexus/v1/tx.proto).

The payload is the encoded `TxPayload`; the signature is ed25519 over exactly those bytes;
the wire bytes are the encoded `SignedTx`; the transaction's hash is blake3 of the wire
bytes. Amounts travel as decimal strings of uplx.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Sequence

import blake3

from . import _proto as pb
from .amount import uplx
from .errors import InvalidInput
from .keys import Address, Key

MAX_TX_BYTES = 16 * 1024


@dataclass(frozen=True)
class Body:
    """One action: its name, its field number in `TxPayload.body` and its encoded message."""

    name: str
    field: int
    encoded: bytes


@dataclass(frozen=True)
class Capabilities:
    """What a device declares it can do (for an order: what a provider's device must have)."""

    cpu_cores: int = 0
    memory_mb: int = 0
    gpu_model: str = ""
    gpu_vram_mb: int = 0
    gpu_count: int = 0
    endpoint: str = ""

    def encode(self) -> bytes:
        return b"".join([
            pb.uint(1, self.cpu_cores), pb.uint(2, self.memory_mb), pb.text(3, self.gpu_model),
            pb.uint(4, self.gpu_vram_mb), pb.uint(5, self.gpu_count), pb.text(6, self.endpoint),
        ])


@dataclass(frozen=True)
class SignedTx:
    """A signed transaction: `bytes` go to `POST /v1/txs`, `hash` names it (hex)."""

    bytes: bytes
    payload: bytes
    signature: bytes
    hash: str
    nonce: int
    fee: int
    body: Body = field(repr=False)

    @property
    def hex(self) -> str:
        return self.bytes.hex()


def _fixed(name: str, value: bytes, length: int) -> bytes:
    if not isinstance(value, (bytes, bytearray)) or len(value) != length:
        got = len(value) if isinstance(value, (bytes, bytearray)) else type(value).__name__
        raise InvalidInput(f"{name}: expected {length} bytes, found {got}")
    return bytes(value)


def _addr(value: "Address | str") -> bytes:
    return Address.parse(value).raw


def _amount(value: "int | str") -> str:
    return str(uplx(value))


def encode_payload(chain_id: str, signer: bytes, nonce: int, fee: "int | str", body: Body) -> bytes:
    return b"".join([
        pb.text(1, chain_id), pb.blob(2, _fixed("signer", signer, 32)), pb.uint(3, nonce),
        pb.text(4, _amount(fee)), pb.message(body.field, body.encoded),
    ])


def sign(key: Key, chain_id: str, nonce: int, fee: "int | str", body: Body) -> SignedTx:
    """Encodes the payload, signs those exact bytes and wraps both in a `SignedTx`."""
    payload = encode_payload(chain_id, key.public_key, nonce, fee, body)
    signature = key.sign(payload)
    wire = envelope(payload, signature)
    if len(wire) > MAX_TX_BYTES:
        raise InvalidInput(f"transaction is {len(wire)} bytes, over the limit of {MAX_TX_BYTES}")
    return SignedTx(wire, payload, signature, blake3.blake3(wire).hexdigest(), nonce, uplx(fee), body)


def tx_hash(wire: bytes) -> str:
    return blake3.blake3(wire).hexdigest()


# --- bodies -------------------------------------------------------------------------------


def transfer(to: "Address | str", amount: "int | str") -> Body:
    return Body("transfer", 10, pb.blob(1, _addr(to)) + pb.text(2, _amount(amount)))


def device_registration_statement(chain_id: str, owner: "Address | str", device: bytes) -> bytes:
    """What a device key signs to let `owner` register it on `chain_id`."""
    cid = chain_id.encode()
    return (b"plexus/register-device/v1" + struct.pack("<I", len(cid)) + cid + _addr(owner)
            + _fixed("device", device, 32))


def register_device(device: bytes, device_class: str, capabilities: Capabilities, h3_cell: int,
                    stake: "int | str", device_signature: bytes) -> Body:
    """Registers `device` under the signer; `device_signature` is the device key's signature
    over `device_registration_statement(chain_id, signer's address, device)`."""
    return Body("register_device", 11, b"".join([
        pb.blob(1, _fixed("device", device, 32)), pb.text(2, device_class),
        pb.message(3, capabilities.encode()), pb.uint(4, h3_cell), pb.text(5, _amount(stake)),
        pb.blob(6, _fixed("device_signature", device_signature, 64)),
    ]))


def signed_registration(owner: Key, device: Key, chain_id: str, device_class: str,
                        capabilities: Capabilities, h3_cell: int, stake: "int | str") -> Body:
    """`register_device`, with the device key signing the registration statement."""
    statement = device_registration_statement(chain_id, owner.address, device.public_key)
    return register_device(device.public_key, device_class, capabilities, h3_cell, stake,
                           device.sign(statement))


def retire_device(device: bytes) -> Body:
    return Body("retire_device", 13, pb.blob(1, _fixed("device", device, 32)))


def withdraw_stake(device: bytes) -> Body:
    return Body("withdraw_stake", 14, pb.blob(1, _fixed("device", device, 32)))


def claim_reward(epoch: int, resource: str, device: bytes, owner: "Address | str", units: int,
                 leaf_index: int, leaf_count: int, siblings: Sequence[bytes]) -> Body:
    """Claims a device's reward from a final manifest, with the leaf's Merkle proof."""
    return Body("claim_reward", 16, b"".join([
        pb.uint(1, epoch), pb.text(2, resource), pb.blob(3, _fixed("device", device, 32)),
        pb.blob(4, _addr(owner)), pb.text(5, _amount(units)), pb.uint(6, leaf_index),
        pb.uint(7, leaf_count),
        pb.repeated_blob(8, [_fixed("sibling", s, 32) for s in siblings]),
    ]))


def validation_commitment(salt: bytes, validation_file: bytes) -> bytes:
    """blake3("plexus/learn/validation" ‖ salt ‖ file): a training task's commitment."""
    return blake3.blake3(b"plexus/learn/validation" + _fixed("salt", salt, 32)
                         + validation_file).digest()


def create_training_task(dataset: str, spec: str, validation_commitment: bytes, rounds: int,
                         min_participants: int, budget: "int | str",
                         coordinator: "Address | str") -> Body:
    return Body("create_training_task", 20, b"".join([
        pb.text(1, dataset), pb.text(2, spec),
        pb.blob(3, _fixed("validation_commitment", validation_commitment, 32)),
        pb.uint(4, rounds), pb.uint(5, min_participants), pb.text(6, _amount(budget)),
        pb.blob(7, _addr(coordinator)),
    ]))


def join_training_task(task: int) -> Body:
    return Body("join_training_task", 21, pb.uint(1, task))


def cancel_training_task(task: int) -> Body:
    return Body("cancel_training_task", 23, pb.uint(1, task))


def create_order(spec: bytes, runtime: str, resources: Capabilities,
                 max_price_per_block: "int | str", duration_blocks: int, replicas: int,
                 sample_per_mille: int, deposit: "int | str") -> Body:
    """A compute order: `spec` is blake3 of the job spec blob, `runtime` "wasm" or
    "inference"."""
    if runtime not in ("wasm", "inference"):
        raise InvalidInput(f"runtime {runtime!r}: expected \"wasm\" or \"inference\"")
    return Body("create_order", 24, b"".join([
        pb.blob(1, _fixed("spec", spec, 32)), pb.text(2, runtime),
        pb.message(3, resources.encode()), pb.text(4, _amount(max_price_per_block)),
        pb.uint(5, duration_blocks), pb.uint(6, replicas), pb.uint(7, sample_per_mille),
        pb.text(8, _amount(deposit)),
    ]))


def close_order(order: int) -> Body:
    return Body("close_order", 30, pb.uint(1, order))


def stake(validator: "Address | str", amount: "int | str") -> Body:
    return Body("stake", 34, pb.blob(1, _addr(validator)) + pb.text(2, _amount(amount)))


def unstake(validator: "Address | str", amount: "int | str") -> Body:
    return Body("unstake", 35, pb.blob(1, _addr(validator)) + pb.text(2, _amount(amount)))


def redelegate(source: "Address | str", to: "Address | str", amount: "int | str") -> Body:
    return Body("redelegate", 36,
                pb.blob(1, _addr(source)) + pb.blob(2, _addr(to)) + pb.text(3, _amount(amount)))


def withdraw_staking_rewards(validator: "Address | str") -> Body:
    return Body("withdraw_staking_rewards", 37, pb.blob(1, _addr(validator)))


def envelope(payload: bytes, signature: bytes) -> bytes:
    """The wire bytes of a `SignedTx` from its parts (for external signers)."""
    return pb.blob(1, payload) + pb.blob(2, signature)
