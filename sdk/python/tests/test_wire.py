"""The SDK signs every supported body to exactly the bytes the Rust types pin
(crates/types/tests/wire.rs: key seed [3;32], chain "plexus-wire", nonce 17, fee 1000)."""

import re
from pathlib import Path

import pytest

from plexus_sdk import Address, Key, tx
from pinned_wire import PINNED

WIRE_RS = Path(__file__).resolve().parents[3] / "crates" / "types" / "tests" / "wire.rs"


def key(seed: int) -> Key:
    return Key(bytes([seed]) * 32)


def caps(endpoint: str) -> tx.Capabilities:
    return tx.Capabilities(8, 16_384, "rtx-4090", 24_576, 1, endpoint)


def samples() -> dict:
    device = key(7).public_key
    signature = key(7).sign(b"plexus/device")
    return {
        "transfer": tx.transfer(Address(bytes([9] * 20)), 1_000),
        "register_device": tx.register_device(
            device, "storage", caps("http://127.0.0.1:26660"), 0x8A2A1072B59FFFF, 5_000_000,
            signature),
        "retire_device": tx.retire_device(device),
        "withdraw_stake": tx.withdraw_stake(device),
        "claim_reward": tx.claim_reward(
            4, "storage", device, Address(bytes([5] * 20)), 77, 2, 5,
            [bytes([0x11] * 32), bytes([0x22] * 32)]),
        "create_training_task": tx.create_training_task(
            "mnist-digits", '{"model":"mlp","lr":0.1}',
            tx.validation_commitment(bytes([0x88] * 32), b"validation"), 5, 2, 1_000,
            Address(bytes([6] * 20))),
        "join_training_task": tx.join_training_task(9),
        "cancel_training_task": tx.cancel_training_task(9),
        "create_order": tx.create_order(
            bytes([0xBB] * 32), "inference", caps(""), 50, 100, 2, 250, 10_000),
        "close_order": tx.close_order(11),
        "stake": tx.stake(Address(bytes([0x0A] * 20)), 42),
        "unstake": tx.unstake(Address(bytes([0x0A] * 20)), 41),
        "redelegate": tx.redelegate(Address(bytes([0x0A] * 20)), Address(bytes([0x0B] * 20)), 40),
        "withdraw_staking_rewards": tx.withdraw_staking_rewards(Address(bytes([0x0A] * 20))),
    }


@pytest.mark.parametrize("name", sorted(PINNED))
def test_sdk_signs_each_body_to_the_bytes_the_rust_types_pin(name):
    signed = tx.sign(key(3), "plexus-wire", 17, 1000, samples()[name])
    assert signed.hex == PINNED[name]


def test_the_copied_pins_are_those_of_the_rust_test_file():
    if not WIRE_RS.exists():
        pytest.skip("run from a Plexus checkout to compare with crates/types/tests/wire.rs")
    rust = dict(re.findall(r'\("([a-z_]+)", "([0-9a-f]+)"\)', WIRE_RS.read_text()))
    for name, hex_bytes in PINNED.items():
        assert rust[name] == hex_bytes, name


def test_the_hash_is_blake3_of_the_wire_bytes_and_the_signature_covers_the_payload():
    signed = tx.sign(key(3), "plexus-wire", 17, 1000, samples()["transfer"])
    import blake3
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    assert signed.hash == blake3.blake3(bytes.fromhex(PINNED["transfer"])).hexdigest()
    Ed25519PublicKey.from_public_bytes(key(3).public_key).verify(signed.signature, signed.payload)


def test_the_device_statement_is_the_one_the_agent_signs():
    owner = Address(bytes([1] * 20))
    device = key(7).public_key
    statement = tx.device_registration_statement("plexus-devnet", owner, device)
    assert statement == (b"plexus/register-device/v1" + (13).to_bytes(4, "little")
                         + b"plexus-devnet" + owner.raw + device)
