/**
 * Ed25519 account keys: a 32-byte secret seed, its public key, and the address it controls.
 */

import { ed25519 } from "@noble/curves/ed25519.js";
import { addressBytesOf, encodeAddress } from "./address.js";
import { expectLength, fromHex, toHex } from "./bytes.js";

export class SecretKey {
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
  /** The 20 address bytes. */
  readonly addressBytes: Uint8Array;
  /** The `plx1…` address. */
  readonly address: string;

  private constructor(seed: Uint8Array) {
    this.seed = Uint8Array.from(seed);
    this.publicKey = ed25519.getPublicKey(this.seed);
    this.addressBytes = addressBytesOf(this.publicKey);
    this.address = encodeAddress(this.addressBytes);
  }

  /** A fresh key from the platform's secure random source. */
  static generate(): SecretKey {
    return new SecretKey(crypto.getRandomValues(new Uint8Array(32)));
  }

  /** The key with this 32-byte secret seed. */
  static fromSeed(seed: Uint8Array): SecretKey {
    return new SecretKey(expectLength(seed, 32, "secret key"));
  }

  /** The key whose 32-byte secret seed is this hex (64 digits, as keyring files hold it). */
  static fromHex(secretHex: string): SecretKey {
    return new SecretKey(fromHex(secretHex.trim(), 32, "secret key"));
  }

  /** The secret seed as hex; keep it secret. */
  secretHex(): string {
    return toHex(this.seed);
  }

  publicKeyHex(): string {
    return toHex(this.publicKey);
  }

  /** An ed25519 signature (64 bytes) over exactly `message`. */
  sign(message: Uint8Array): Uint8Array {
    return ed25519.sign(message, this.seed);
  }
}

/** Checks an ed25519 signature. */
export function verifySignature(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  return ed25519.verify(signature, message, publicKey);
}
