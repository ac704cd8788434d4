"""The errors the SDK raises. Each says what was wrong; node refusals carry the node's code."""

from __future__ import annotations


class PlexusError(Exception):
    """Base of every error this package raises."""


class InvalidInput(PlexusError, ValueError):
    """A value given to the SDK is malformed (an address, an amount, a key); nothing was sent."""


class NodeError(PlexusError):
    """The node answered with an error: `code` is its stable code (`bad_nonce`,
    `bad_signature`, `insufficient_funds`, …), `message` its explanation, `status` the HTTP
    status."""

    def __init__(self, status: int, code: str, message: str, path: str = ""):
        self.status = status
        self.code = code
        self.message = message
        self.path = path
        super().__init__(f"the node refused {path or 'the request'} ({status} {code}): {message}")


class TxRefused(NodeError):
    """The node refused to admit a transaction to its mempool; nothing was committed."""


class TxFailed(PlexusError):
    """A transaction was committed with a failure code (its fee is paid, its effect is not)."""

    def __init__(self, hash: str, code: str, log: str, height: int | None):
        self.hash = hash
        self.code = code
        self.log = log
        self.height = height
        super().__init__(f"transaction {hash} failed at height {height}: {log} ({code})")


class TxTimeout(PlexusError):
    """A transaction was still pending when the wait for its commit ran out."""

    def __init__(self, hash: str, timeout_s: float):
        self.hash = hash
        self.timeout_s = timeout_s
        super().__init__(f"transaction {hash} is still pending after {timeout_s:g} s")


class TxDropped(PlexusError):
    """A transaction is neither pending nor committed: the mempool dropped it."""

    def __init__(self, hash: str):
        self.hash = hash
        super().__init__(f"transaction {hash} is neither pending nor committed: it was dropped")
