// Amounts, addresses and keys as a user types and reads them.

import assert from "node:assert/strict";
import { test } from "node:test";
import { SecretKey, decodeAddress, encodeAddress, formatPlx, isAddress, parseAmount, uplx } from "../src/index.js";

test("amounts parse from plx and uplx text into exact base units", () => {
  assert.equal(parseAmount("2.5plx"), 2_500_000n);
  assert.equal(parseAmount("10 PLX"), 10_000_000n);
  assert.equal(parseAmount("2500uplx"), 2_500n);
  assert.equal(parseAmount("0.000001plx"), 1n);
  assert.equal(parseAmount("340282366920938463463374607431768211455"), (1n << 128n) - 1n);
  assert.throws(() => parseAmount("0.0000001plx"), /at most 6 decimal places/);
  assert.throws(() => parseAmount("1.5"), /expected a number followed by `plx` or `uplx`/);
  assert.throws(() => uplx("340282366920938463463374607431768211456"), /out of the u128 range/);
  assert.throws(() => uplx(1.5), /not a whole number/);
  assert.equal(formatPlx(2_500_000n), "2.5plx");
  assert.equal(formatPlx(3_000_000n), "3plx");
});

test("an address round-trips through its plx1 text and a typo is refused", () => {
  const key = SecretKey.fromSeed(new Uint8Array(32).fill(7));
  assert.match(key.address, /^plx1[02-9ac-hj-np-z]{38}$/);
  assert.deepEqual(decodeAddress(key.address), key.addressBytes);
  assert.equal(encodeAddress(key.addressBytes), key.address);
  const typo = key.address.slice(0, -1) + (key.address.endsWith("q") ? "p" : "q");
  assert.equal(isAddress(typo), false);
  assert.throws(() => decodeAddress(typo), /not valid bech32/);
});

test("a secret key loads from its hex and refuses anything but 32 bytes", () => {
  const key = SecretKey.generate();
  assert.deepEqual(SecretKey.fromHex(key.secretHex()).publicKey, key.publicKey);
  assert.throws(() => SecretKey.fromHex("abcd"), /expected 32 bytes, found 2/);
  assert.throws(() => SecretKey.fromHex("zz".repeat(32)), /expected hex digits/);
});
