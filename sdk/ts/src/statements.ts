/**
 * Byte strings that keys sign besides transactions, built exactly as the node's
 * `plexus_types::statements` builds them, and the commitments a sponsor publishes.
 */

import { blake3 } from "@noble/hashes/blake3.js";
import { addressBytes } from "./address.js";
import { concatBytes, expectLength, u32le, utf8 } from "./bytes.js";
import type { SecretKey } from "./keys.js";

function lengthPrefixed(text: string): Uint8Array {
  const bytes = utf8(text);
  return concatBytes(u32le(bytes.length), bytes);
}

/**
 * What a device key signs to let `owner` register it on `chainId`:
 * "plexus/register-device/v1" ‖ u32le(len chain id) ‖ chain id ‖ owner (20) ‖ device key (32).
 */
export function deviceRegistrationStatement(chainId: string, owner: string | Uint8Array, device: Uint8Array): Uint8Array {
  return concatBytes(
    utf8("plexus/register-device/v1"),
    lengthPrefixed(chainId),
    addressBytes(owner, "owner"),
    expectLength(device, 32, "device key"),
  );
}

/** The device key's signature that proves `owner` holds it, for a `register_device` body. */
export function signDeviceRegistration(device: SecretKey, chainId: string, owner: string | Uint8Array): Uint8Array {
  return device.sign(deviceRegistrationStatement(chainId, owner, device.publicKey));
}

/** blake3("plexus/learn/validation" ‖ salt ‖ validation file): a training task's commitment. */
export function validationCommitment(salt: Uint8Array, file: Uint8Array): Uint8Array {
  return blake3(concatBytes(utf8("plexus/learn/validation"), expectLength(salt, 32, "salt"), file));
}
