/**
 * The envelope around a body: the payload a signer signs (an encoded `TxPayload`), the
 * signature over exactly those bytes, and the wire bytes (an encoded `SignedTx`) whose
 * blake3 hash names the transaction.
 */

import { blake3 } from "@noble/hashes/blake3.js";
import { uplx, type AmountLike } from "../amount.js";
import { toHex, utf8 } from "../bytes.js";
import type { SecretKey } from "../keys.js";
import { ProtoWriter } from "../proto.js";
import { writeBody, type Body } from "./bodies.js";

/** Largest encoded transaction any node accepts. */
export const MAX_TX_BYTES = 16 * 1024;
/** Longest chain id. */
export const MAX_CHAIN_ID_LEN = 64;

export interface UnsignedTx {
  chainId: string;
  /** The signer account's next nonce (see `NodeClient.nextNonce`). */
  nonce: number | bigint;
  /** Fee in uplx. */
  fee: AmountLike;
  body: Body;
}

export interface SignedTx {
  /** The encoded `TxPayload`: what the signature covers. */
  payload: Uint8Array;
  /** 64-byte ed25519 signature over `payload`. */
  signature: Uint8Array;
  /** The encoded `SignedTx`, as sent to the node. */
  bytes: Uint8Array;
  /** blake3 of `bytes`, hex: the transaction's name on the node. */
  hash: string;
}

/** The payload bytes `signer` signs for `tx`. */
export function encodePayload(tx: UnsignedTx, signer: Uint8Array): Uint8Array {
  if (utf8(tx.chainId).length > MAX_CHAIN_ID_LEN) {
    throw new Error(`invalid chain id: longer than ${MAX_CHAIN_ID_LEN} bytes`);
  }
  const w = new ProtoWriter()
    .string(1, tx.chainId)
    .bytes(2, signer)
    .uint64(3, tx.nonce, "nonce")
    .string(4, uplx(tx.fee, "fee").toString());
  writeBody(w, tx.body);
  return w.finish();
}

/** Wraps a payload and its signature into wire bytes and names them. */
export function assembleSignedTx(payload: Uint8Array, signature: Uint8Array): SignedTx {
  const bytes = new ProtoWriter().bytes(1, payload).bytes(2, signature).finish();
  return { payload, signature, bytes, hash: toHex(blake3(bytes)) };
}

/** Encodes the payload and signs those exact bytes with `key`. */
export function signTx(tx: UnsignedTx, key: SecretKey): SignedTx {
  const payload = encodePayload(tx, key.publicKey);
  const signed = assembleSignedTx(payload, key.sign(payload));
  if (signed.bytes.length > MAX_TX_BYTES) {
    throw new Error(`transaction is ${signed.bytes.length} bytes, more than the ${MAX_TX_BYTES} a node accepts`);
  }
  return signed;
}
