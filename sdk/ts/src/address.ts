/**
 * Account addresses: the first 20 bytes of blake3(public key), shown as bech32 with the
 * human-readable part `plx` (`plx1…`), exactly as the node's `Address` prints and parses them.
 */

import { blake3 } from "@noble/hashes/blake3.js";
import { bech32 } from "bech32";
import { expectLength } from "./bytes.js";

export const ADDRESS_HRP = "plx";
export const ADDRESS_LEN = 20;

/** The 20 address bytes of an ed25519 public key. */
export function addressBytesOf(publicKey: Uint8Array): Uint8Array {
  expectLength(publicKey, 32, "public key");
  return blake3(publicKey).slice(0, ADDRESS_LEN);
}

/** The `plx1…` text of 20 address bytes. */
export function encodeAddress(bytes: Uint8Array): string {
  expectLength(bytes, ADDRESS_LEN, "address");
  return bech32.encode(ADDRESS_HRP, bech32.toWords(bytes));
}

/** The address of an ed25519 public key, as `plx1…` text. */
export function addressOf(publicKey: Uint8Array): string {
  return encodeAddress(addressBytesOf(publicKey));
}

/** Parses `plx1…` text into its 20 bytes; throws a clear error on a typo, prefix or length. */
export function decodeAddress(text: string): Uint8Array {
  let decoded: { prefix: string; words: number[] };
  try {
    decoded = bech32.decode(text);
  } catch (e) {
    throw new Error(`invalid address ${JSON.stringify(text)}: not valid bech32 (${(e as Error).message})`);
  }
  if (decoded.prefix !== ADDRESS_HRP) {
    throw new Error(`invalid address ${JSON.stringify(text)}: expected prefix \`plx\`, found \`${decoded.prefix}\``);
  }
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(bech32.fromWords(decoded.words));
  } catch (e) {
    throw new Error(`invalid address ${JSON.stringify(text)}: ${(e as Error).message}`);
  }
  if (bytes.length !== ADDRESS_LEN) {
    throw new Error(`invalid address ${JSON.stringify(text)}: expected ${ADDRESS_LEN} bytes, found ${bytes.length}`);
  }
  return bytes;
}

/** Accepts an address as `plx1…` text or its 20 bytes; returns the bytes. */
export function addressBytes(address: string | Uint8Array, what = "address"): Uint8Array {
  return typeof address === "string" ? decodeAddress(address) : expectLength(address, ADDRESS_LEN, what);
}

/** Whether `text` is a well-formed `plx1…` address. */
export function isAddress(text: string): boolean {
  try {
    decodeAddress(text);
    return true;
  } catch {
    return false;
  }
}
