"""Keys, addresses and amounts as the Rust types derive and parse them."""

import pytest

from plexus_sdk import Address, InvalidInput, Key, format_plx, uplx

# A devnet keyring file written by the Rust node (`plexus devnet`, keyring-test/alice.json).
ALICE_SECRET = "e5ba7dfe172f745fc2ad6f91890ee9d12888a2f54072483bf40e6353e9e5be82"
ALICE_PUBLIC = "e7ffbccb2714d1ecaa0d6ab50cef3d717378247c4d2fbf7acd0c1ed7f4c4fd62"
ALICE_ADDRESS = "plx1wlu7t2e290e0fxr4aykfmzfvzlc0mx2w0nlrp5"


def test_a_key_has_the_public_key_and_address_the_rust_keyring_wrote():
    key = Key.from_hex(ALICE_SECRET)
    assert key.public_key.hex() == ALICE_PUBLIC
    assert str(key.address) == ALICE_ADDRESS


def test_an_address_round_trips_through_bech32():
    key = Key.generate()
    assert str(key.address).startswith("plx1")
    assert Address.parse(str(key.address)) == key.address
    assert Address.parse(str(key.address).upper()) == key.address


@pytest.mark.parametrize("text, reason", [
    (ALICE_ADDRESS[:-1] + ("q" if ALICE_ADDRESS[-1] != "q" else "p"), "invalid checksum"),
    ("plx1bad", "not valid bech32"),
    ("cosmos1wlu7t2e290e0fxr4aykfmzfvzlc0mx2w0nlrp5", "not valid bech32"),
    ("cosmos1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnrk363e", "expected prefix `plx`, found `cosmos`"),
])
def test_a_bad_address_is_refused_with_the_reason(text, reason):
    with pytest.raises(InvalidInput, match=reason):
        Address.parse(text)


def test_a_key_file_whose_address_does_not_match_its_key_is_refused(tmp_path):
    path = tmp_path / "k.json"
    path.write_text('{"secret_key": "%s", "address": "%s"}' % ("11" * 32, ALICE_ADDRESS))
    with pytest.raises(InvalidInput, match="is not its key's"):
        Key.from_file(path)


def test_a_secret_of_the_wrong_length_is_refused():
    with pytest.raises(InvalidInput, match="expected 32 bytes, found 3"):
        Key.from_hex("aabbcc")


def test_amounts_parse_as_a_person_types_them():
    assert uplx("2.5plx") == 2_500_000
    assert uplx("10 PLX") == 10_000_000
    assert uplx("2500uplx") == 2500
    assert uplx(7) == 7
    assert format_plx(1_500_000) == "1.5plx"
    for bad in ["1.0000001plx", "-3", "abc", ""]:
        with pytest.raises(InvalidInput):
            uplx(bad)
