/**
 * The small part of proto3 that Plexus transactions use, written by hand: varints,
 * length-delimited fields, packed repeated integers, and proto3's rule that a scalar field
 * holding its default value (0, "", empty bytes) is left out. Fields must be written in
 * field-number order, as prost (the node's encoder) writes them, so the bytes match the
 * node's byte for byte.
 */

import { utf8 } from "./bytes.js";

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 0xffffffffn;

function toBig(value: number | bigint, max: bigint, what: string): bigint {
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw new Error(`invalid ${what}: ${value} is not a safe integer`);
  }
  const big = BigInt(value);
  if (big < 0n || big > max) throw new Error(`invalid ${what}: ${value} is out of range`);
  return big;
}

/** Builds one encoded message. Each `field*` call appends one field unless it is a default. */
export class ProtoWriter {
  private readonly chunks: number[] = [];

  private varint(value: bigint): void {
    let v = value;
    while (v >= 0x80n) {
      this.chunks.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.chunks.push(Number(v));
  }

  private tag(field: number, wireType: number): void {
    this.varint(BigInt((field << 3) | wireType));
  }

  private raw(bytes: Uint8Array): void {
    for (const b of bytes) this.chunks.push(b);
  }

  /** A `uint64` field (omitted when 0). */
  uint64(field: number, value: number | bigint, what = `field ${field}`): this {
    const v = toBig(value, U64_MAX, what);
    if (v !== 0n) {
      this.tag(field, 0);
      this.varint(v);
    }
    return this;
  }

  /** A `uint32` field (omitted when 0). */
  uint32(field: number, value: number, what = `field ${field}`): this {
    const v = toBig(value, U32_MAX, what);
    if (v !== 0n) {
      this.tag(field, 0);
      this.varint(v);
    }
    return this;
  }

  /** A `bool` field (omitted when false). */
  bool(field: number, value: boolean): this {
    if (value) {
      this.tag(field, 0);
      this.varint(1n);
    }
    return this;
  }

  /** A `bytes` field (omitted when empty). */
  bytes(field: number, value: Uint8Array): this {
    if (value.length > 0) this.lengthDelimited(field, value);
    return this;
  }

  /** A `string` field (omitted when empty). */
  string(field: number, value: string): this {
    return this.bytes(field, utf8(value));
  }

  /** A present message field: always written, even when the message itself is empty. */
  message(field: number, encoded: Uint8Array): this {
    return this.lengthDelimited(field, encoded);
  }

  /** A `repeated bytes` or `repeated Message` field: one entry per element, empty ones too. */
  repeatedBytes(field: number, values: Uint8Array[]): this {
    for (const v of values) this.lengthDelimited(field, v);
    return this;
  }

  /** A packed `repeated uint64` (or uint32) field (omitted when empty). */
  packedVarints(field: number, values: Array<number | bigint>, max = U64_MAX): this {
    if (values.length === 0) return this;
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(toBig(v, max, `field ${field}`));
    return this.lengthDelimited(field, inner.finish());
  }

  private lengthDelimited(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.varint(BigInt(value.length));
    this.raw(value);
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

export const PROTO_U32_MAX = U32_MAX;
