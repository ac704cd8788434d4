"""What the SDK reads from an oracle's API: a device's reward claim (its manifest leaf and
Merkle proof), ready to send as a `ClaimReward` transaction."""

from __future__ import annotations

from typing import Optional

from . import tx
from .client import Client
from .errors import NodeError


class Oracle(Client):
    """An oracle's API, for example `http://127.0.0.1:26651`."""

    def claim(self, epoch: int, resource: str, device: "bytes | str") -> Optional[dict]:
        """`{"leaf": {device, owner, units}, "proof": {index, leaf_count, siblings}}`, or None
        when the epoch's manifest gives the device no units."""
        key_hex = device.hex() if isinstance(device, bytes) else device
        try:
            return self.get(f"/v1/manifests/{epoch}/{resource}/claims/{key_hex}")
        except NodeError as e:
            if e.status == 404:
                return None
            raise

    def claim_body(self, epoch: int, resource: str, device: "bytes | str") -> Optional[tx.Body]:
        """The `claim_reward` body for the device's leaf, or None when it has none."""
        claim = self.claim(epoch, resource, device)
        if claim is None:
            return None
        leaf, proof = claim["leaf"], claim["proof"]
        return tx.claim_reward(epoch, resource, bytes.fromhex(leaf["device"]), leaf["owner"],
                               int(leaf["units"]), proof["index"], proof["leaf_count"],
                               [bytes.fromhex(s) for s in proof["siblings"]])
