/**
 * Byte helpers shared by the SDK: hex text, concatenation, little-endian lengths.
 */

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** Parses hex text (an optional `0x` prefix is allowed); throws on anything else. */
export function fromHex(text: string, expectedLength?: number, what = "hex"): Uint8Array {
  const clean = text.startsWith("0x") ? text.slice(2) : text;
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
    throw new Error(`invalid ${what}: expected hex digits, found ${JSON.stringify(text)}`);
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  if (expectedLength !== undefined && out.length !== expectedLength) {
    throw new Error(`invalid ${what}: expected ${expectedLength} bytes, found ${out.length}`);
  }
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `n` as 4 little-endian bytes (a u32). */
export function u32le(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, true);
  return out;
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Checks that `bytes` has exactly `length` bytes, naming `what` when it does not. */
export function expectLength(bytes: Uint8Array, length: number, what: string): Uint8Array {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    const found = bytes instanceof Uint8Array ? `${bytes.length} bytes` : typeof bytes;
    throw new Error(`invalid ${what}: expected ${length} bytes, found ${found}`);
  }
  return bytes;
}
