"""Plexus SDK: keys and addresses, transactions signed byte for byte as the node expects,
and a client for the node's HTTP API."""

from . import tx, views
from .client import Client
from .amount import UPLX_PER_PLX, format_plx, uplx
from .errors import InvalidInput, NodeError, PlexusError, TxDropped, TxFailed, TxRefused, TxTimeout
from .keys import Address, Key
from .tx import Capabilities, SignedTx

__all__ = [
    "Address", "Capabilities", "Client", "InvalidInput", "Key", "NodeError", "PlexusError", "SignedTx",
    "TxDropped", "TxFailed", "TxRefused", "TxTimeout", "UPLX_PER_PLX", "format_plx", "tx", "uplx", "views",
]
