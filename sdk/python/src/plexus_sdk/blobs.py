"""The node's blob service for small blobs (job specs, modules, inputs, outputs): signed
uploads and verified downloads of blobs of at most one chunk group (16 KiB), whose verified
streaming encoding is the bytes themselves. Larger blobs need the chunk-group tree encoding:
use `plexus blob put` / `plexus blob get` for them."""

from __future__ import annotations

import struct
import time
import urllib.error
import urllib.request

import blake3

from .client import Client, _node_error
from .errors import InvalidInput, PlexusError
from .keys import Key

#: The largest blob this module moves: one chunk group.
MAX_SMALL_BLOB = 16 * 1024


def blob_id(data: bytes) -> str:
    """A blob's id: blake3 of its bytes, hex."""
    return blake3.blake3(data).hexdigest()


def upload_statement(chain_id: str, signer: bytes, blob: bytes, size: int, at_ms: int) -> bytes:
    """What the uploader's key signs (`plexus_types::statements::blob_upload`)."""
    cid = chain_id.encode()
    return (b"plexus/blob-upload/v1" + struct.pack("<I", len(cid)) + cid + signer + blob
            + struct.pack("<QQ", size, at_ms))


def put_blob(node: Client, key: Key, data: bytes, chain_id: str | None = None) -> str:
    """Uploads `data` signed by `key` (whose account pays for it); answers its id."""
    if len(data) > MAX_SMALL_BLOB:
        raise InvalidInput(f"blob of {len(data)} bytes: this SDK uploads blobs of at most "
                           f"{MAX_SMALL_BLOB} bytes; use `plexus blob put` for larger ones")
    chain_id = chain_id or node.chain_id()
    digest = blake3.blake3(data).digest()
    at_ms = int(time.time() * 1000)
    signature = key.sign(upload_statement(chain_id, key.public_key, digest, len(data), at_ms))
    req = urllib.request.Request(f"{node.url}/v1/blobs/{digest.hex()}?size={len(data)}",
                                 data=data, method="PUT")
    req.add_header("Content-Type", "application/octet-stream")
    req.add_header("x-plexus-signer", key.public_key.hex())
    req.add_header("x-plexus-signed-at", str(at_ms))
    req.add_header("x-plexus-signature", signature.hex())
    try:
        with urllib.request.urlopen(req, timeout=node.timeout_s) as resp:
            resp.read()
    except urllib.error.HTTPError as e:
        raise _node_error(e, f"the upload of blob {digest.hex()}") from None
    except urllib.error.URLError as e:
        raise PlexusError(f"cannot reach the node at {node.url}: {e.reason}") from None
    return digest.hex()


def get_blob(node: Client, blob: str) -> bytes:
    """Downloads a small blob and checks that its bytes hash to its id."""
    req = urllib.request.Request(f"{node.url}/v1/blobs/{blob}")
    try:
        with urllib.request.urlopen(req, timeout=node.timeout_s) as resp:
            size = int(resp.headers.get("x-blob-size", "0"))
            body = resp.read()
    except urllib.error.HTTPError as e:
        raise _node_error(e, f"the download of blob {blob}") from None
    if len(body) > MAX_SMALL_BLOB or size > MAX_SMALL_BLOB:
        raise PlexusError(f"blob {blob} is larger than {MAX_SMALL_BLOB} bytes; use "
                          "`plexus blob get` for it")
    if blob_id(body) != blob:
        raise PlexusError(f"blob {blob}: the node sent bytes that hash to {blob_id(body)}")
    return body
