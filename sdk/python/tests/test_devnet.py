"""The SDK against a live devnet: what it signs is committed, what is tampered with is
refused and changes nothing, and transactions sent in a row take the pending nonce."""

import pytest

from plexus_sdk import InvalidInput, Key, NodeError, TxFailed, TxRefused, tx, uplx


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1:]


def test_a_transfer_signed_by_the_sdk_is_committed_and_moves_the_amount_and_fee(devnet):
    node, alice, to = devnet.client, devnet.key("alice"), Key.generate().address
    before = node.account(alice.address)
    view = node.send(alice, tx.transfer(to, "2.5plx"))
    assert view.status == "committed" and view.code == "ok"
    after = node.account(alice.address)
    assert after.balance == before.balance - uplx("2.5plx") - view.fee
    assert view.fee == node.status().min_fee
    assert after.nonce == before.nonce + 1
    assert node.account(to).balance == 2_500_000


@pytest.mark.parametrize("part", ["signature", "payload"])
def test_a_transfer_with_one_flipped_byte_is_refused_and_changes_nothing(devnet, part):
    node, bob, to = devnet.client, devnet.key("bob"), Key.generate().address
    before = node.account(bob.address)
    signed = node.sign(bob, tx.transfer(to, 1_000))
    if part == "signature":
        wire = tx.envelope(signed.payload, flip(signed.signature, 10))
    else:
        # The last byte is the amount's last digit: 1000 becomes 1001, the payload still
        # decodes, and the signature no longer covers it.
        wire = tx.envelope(flip(signed.payload, len(signed.payload) - 1), signed.signature)
    with pytest.raises(TxRefused) as refused:
        node.submit(wire)
    assert refused.value.status == 400
    assert refused.value.code == "invalid_signature", refused.value
    assert "signature" in refused.value.message
    assert node.tx(tx.tx_hash(wire)).status == "unknown"
    after = node.account(bob.address)
    assert (after.balance, after.nonce, after.pending_nonce) == (
        before.balance, before.nonce, before.pending_nonce)
    assert not node.account(to).exists


def test_a_second_transfer_sent_without_waiting_takes_the_pending_nonce(devnet):
    node, carol, to = devnet.client, devnet.key("carol"), Key.generate().address
    start = node.account(carol.address).nonce
    first = node.sign(carol, tx.transfer(to, 100))
    node.submit(first)
    second = node.sign(carol, tx.transfer(to, 200))
    node.submit(second)
    assert (first.nonce, second.nonce) == (start, start + 1)
    assert node.wait(first.hash).succeeded
    assert node.wait(second.hash).succeeded
    assert node.account(to).balance == 300
    assert node.account(carol.address).nonce == start + 2


def test_a_bad_address_is_refused_before_anything_is_sent(devnet):
    good = str(Key.generate().address)
    typo = good[:-1] + ("q" if good[-1] != "q" else "p")
    with pytest.raises(InvalidInput, match="not valid bech32"):
        tx.transfer(typo, 1)
    with pytest.raises(InvalidInput, match="invalid address"):
        devnet.client.account("plx1nothing")


def test_the_node_refuses_a_transfer_the_signer_cannot_pay_with_its_code(devnet):
    node, poor = devnet.client, Key.generate()
    with pytest.raises(TxRefused) as refused:
        node.submit(tx.sign(poor, node.chain_id(), 0, node.status().min_fee,
                            tx.transfer(Key.generate().address, 1)))
    assert refused.value.code != ""
    assert refused.value.message


def test_stake_and_unstake_bond_and_start_unbonding_the_amounts(devnet):
    node, sender = devnet.client, devnet.key("job-client")
    operator = node.operators().operators[0]
    before = node.account(sender.address).balance
    staked = node.send(sender, tx.stake(operator.address, "10plx"))
    unstaked = node.send(sender, tx.unstake(operator.address, "4plx"))
    [delegation] = [d for d in node.delegations(sender.address).delegations
                    if d.operator == operator.address]
    assert delegation.stake == uplx("6plx")
    [unbonding] = node.unbondings(sender.address).unbondings
    assert (unbonding.operator, unbonding.amount) == (operator.address, uplx("4plx"))
    assert unbonding.matures_at > unstaked.height
    after = node.account(sender.address).balance
    assert after == before - uplx("10plx") - staked.fee - unstaked.fee


def test_a_committed_failure_raises_with_the_ledger_code_and_charges_the_fee(devnet):
    node, owner, device = devnet.client, devnet.key("bob"), Key.generate()
    body = tx.signed_registration(owner, device, "another-chain", "cpu-small",
                                  tx.Capabilities(cpu_cores=1, memory_mb=1024),
                                  0x8A2A1072B59FFFF, "100plx")
    before = node.account(owner.address).balance
    with pytest.raises(TxFailed) as failed:
        node.send(owner, body)
    assert failed.value.code == "bad_device_signature"
    assert node.account(owner.address).balance == before - node.status().min_fee
    with pytest.raises(NodeError) as missing:
        node.device(device.public_key)
    assert missing.value.status == 404


def test_the_rewards_of_a_page_of_devices_are_those_of_each_device_in_the_same_order(devnet):
    node = devnet.client
    devices = node.devices(limit=1000)
    assert devices.devices, "the devnet's agents registered no device"
    page = node.devices_rewards(limit=1000)
    assert [r["device"] for r in page["rewards"]] == [d.key for d in devices.devices]
    assert page["next"] == devices.next
    for line in page["rewards"]:
        assert line["total"] == node.get(f"/v1/devices/{line['device']}/rewards")["total"]
    first = devices.devices[0]
    mine = node.devices(owner=first.owner, device_class=first.class_, limit=1000)
    assert first.key in [d.key for d in mine.devices]
    assert all(d.owner == first.owner and d.class_ == first.class_ for d in mine.devices)
