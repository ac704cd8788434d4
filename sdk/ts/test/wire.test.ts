// The SDK signs every body it supports to the exact bytes the node pins in
// crates/types/tests/wire.rs (key seed [3;32], chain "plexus-wire", nonce 17, fee 1000).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { SecretKey, signTx, toHex, utf8, validationCommitment, type Body, type Capabilities } from "../src/index.js";

const WIRE_RS = fileURLToPath(new URL("../../../../crates/types/tests/wire.rs", import.meta.url));

/** The pinned hex of each sample, read from the node's own test so the two cannot drift. */
function pinned(): Map<string, string> {
  const text = readFileSync(WIRE_RS, "utf8");
  const out = new Map<string, string>();
  for (const m of text.matchAll(/\("([a-z_]+)", "([0-9a-f]+)"\)/g)) out.set(m[1]!, m[2]!);
  return out;
}

const key = (seed: number) => SecretKey.fromSeed(new Uint8Array(32).fill(seed));
const filled = (n: number, b: number) => new Uint8Array(n).fill(b);
const caps = (endpoint: string): Capabilities => ({
  cpuCores: 8,
  memoryMb: 16_384,
  gpuModel: "rtx-4090",
  gpuVramMb: 24_576,
  gpuCount: 1,
  endpoint,
});

function samples(): Array<[string, Body]> {
  const device = key(7).publicKey;
  const signature = key(7).sign(utf8("plexus/device"));
  return [
    ["transfer", { type: "transfer", to: filled(20, 9), amount: 1000n }],
    [
      "register_device",
      {
        type: "register_device",
        device,
        class: "storage",
        capabilities: caps("http://127.0.0.1:26660"),
        h3Cell: 0x8a2a1072b59ffffn,
        stake: "5000000",
        deviceSignature: signature,
      },
    ],
    ["update_device", { type: "update_device", device, capabilities: caps("https://blobs.example.org"), h3Cell: 42 }],
    ["retire_device", { type: "retire_device", device }],
    ["withdraw_stake", { type: "withdraw_stake", device }],
    [
      "create_training_task",
      {
        type: "create_training_task",
        dataset: "mnist-digits",
        spec: '{"model":"mlp","lr":0.1}',
        validationCommitment: validationCommitment(filled(32, 0x88), utf8("validation")),
        rounds: 5,
        minParticipants: 2,
        budget: 1000,
        coordinator: filled(20, 6),
      },
    ],
    ["join_training_task", { type: "join_training_task", task: 9 }],
    ["cancel_training_task", { type: "cancel_training_task", task: 9 }],
    [
      "create_order",
      {
        type: "create_order",
        spec: filled(32, 0xbb),
        runtime: "inference",
        resources: caps(""),
        maxPricePerBlock: 50,
        durationBlocks: 100,
        replicas: 2,
        samplePerMille: 250,
        deposit: 10_000n,
      },
    ],
    ["close_order", { type: "close_order", order: 11 }],
    ["stake", { type: "stake", validator: filled(20, 0x0a), amount: 42 }],
    ["unstake", { type: "unstake", validator: filled(20, 0x0a), amount: 41 }],
    ["redelegate", { type: "redelegate", from: filled(20, 0x0a), to: filled(20, 0x0b), amount: 40 }],
    ["withdraw_staking_rewards", { type: "withdraw_staking_rewards", validator: filled(20, 0x0a) }],
  ];
}

test("every supported body signs to the bytes the node pins", () => {
  const expected = pinned();
  assert.ok(expected.size >= 30, `read ${expected.size} pinned samples from ${WIRE_RS}`);
  for (const [name, body] of samples()) {
    const tx = signTx({ chainId: "plexus-wire", nonce: 17, fee: 1000, body }, key(3));
    assert.equal(toHex(tx.bytes), expected.get(name), `the wire bytes of ${name}`);
  }
});

test("a transaction's hash is blake3 of its wire bytes and does not change when signed again", () => {
  const body: Body = { type: "transfer", to: filled(20, 9), amount: 1000n };
  const a = signTx({ chainId: "plexus-wire", nonce: 17, fee: 1000, body }, key(3));
  const b = signTx({ chainId: "plexus-wire", nonce: 17, fee: 1000, body }, key(3));
  assert.equal(a.hash, b.hash);
  const c = signTx({ chainId: "plexus-wire", nonce: 18, fee: 1000, body }, key(3));
  assert.notEqual(a.hash, c.hash);
  assert.match(a.hash, /^[0-9a-f]{64}$/);
});

test("bodies with bad fields are refused before signing with the field named", () => {
  const sign = (body: Body) => signTx({ chainId: "c", nonce: 1, fee: 1, body }, key(3));
  assert.throws(() => sign({ type: "transfer", to: "plx1notanaddress", amount: 1 }), /invalid to|invalid address/);
  assert.throws(() => sign({ type: "transfer", to: filled(20, 1), amount: "-1" }), /invalid amount/);
  assert.throws(() => sign({ type: "transfer", to: filled(20, 1), amount: 1n << 128n }), /invalid amount/);
  assert.throws(() => sign({ type: "retire_device", device: filled(31, 1) }), /device key: expected 32 bytes/);
  assert.throws(
    () => sign({ type: "create_order", spec: filled(32, 1), runtime: "docker" as "wasm", resources: {}, maxPricePerBlock: 1, durationBlocks: 1, replicas: 1, samplePerMille: 0, deposit: 1 }),
    /invalid runtime/,
  );
});
