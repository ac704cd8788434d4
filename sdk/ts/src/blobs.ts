/**
 * Reading a blob from a node's blob service (`GET /v1/blobs/{id}`): the node answers with the
 * blob's verified encoding (bao, pre-order, chunk groups of 16 KiB, each parent node 64 bytes
 * of child hashes). The bytes are taken out of the encoding and checked against the id, the
 * blake3 hash of the blob, so what is returned is exactly the blob the id names.
 */

import { blake3 } from "@noble/hashes/blake3.js";
import { fromHex, toHex } from "./bytes.js";

/** Bytes in one chunk group: the leaves of the node's encoding. */
const GROUP_BYTES = 16 * 1024;
const PARENT_BYTES = 64;

/** Largest power-of-two number of groups, in bytes, strictly below `size` (bao's split). */
function leftSubtreeBytes(size: number): number {
  const groups = Math.ceil(size / GROUP_BYTES);
  let left = 1;
  while (left * 2 < groups) left *= 2;
  return left * GROUP_BYTES;
}

/** The blob's bytes out of its pre-order encoding; throws when the encoding is short or long. */
export function bytesOfEncoding(encoding: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let read = 0;
  let written = 0;
  const walk = (len: number) => {
    if (len <= GROUP_BYTES) {
      if (read + len > encoding.length) throw new Error("the blob's encoding is shorter than its size");
      out.set(encoding.subarray(read, read + len), written);
      read += len;
      written += len;
      return;
    }
    read += PARENT_BYTES;
    const left = leftSubtreeBytes(len);
    walk(left);
    walk(len - left);
  };
  walk(size);
  if (read !== encoding.length) throw new Error(`the blob's encoding has ${encoding.length - read} bytes more than its size`);
  return out;
}

/** Downloads blob `id` (64 hex digits) from the node at `baseUrl` and checks it against the id. */
export async function fetchBlob(baseUrl: string, id: string, timeoutMs = 60_000): Promise<Uint8Array> {
  fromHex(id, 32, "blob id");
  const url = `${baseUrl.replace(/\/+$/, "")}/v1/blobs/${id}`;
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`GET ${url}: the node answered ${res.status}: ${await res.text()}`);
  const size = Number(res.headers.get("x-blob-size"));
  if (!Number.isSafeInteger(size) || size < 0) throw new Error(`GET ${url}: no valid x-blob-size header`);
  const bytes = bytesOfEncoding(new Uint8Array(await res.arrayBuffer()), size);
  const actual = toHex(blake3(bytes));
  if (actual !== id.toLowerCase()) throw new Error(`blob ${id} from ${url} hashes to ${actual}: refusing it`);
  return bytes;
}
