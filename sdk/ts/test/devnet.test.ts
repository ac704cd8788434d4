// Against a live devnet: transactions the SDK signs are taken and committed by a real node,
// tampered ones are refused with the node's code and change nothing, and the examples run.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  NodeClient,
  SecretKey,
  TxFailedError,
  TxRefusedError,
  assembleSignedTx,
  signTx,
  uplx,
  type SignedTx,
} from "../src/index.js";
import { REPO_ROOT, startDevnet, type Devnet } from "./devnet.js";

const run = promisify(execFile);
const EXAMPLES = fileURLToPath(new URL("../examples/", import.meta.url));

let devnet: Devnet;
let client: NodeClient;

before(async () => {
  devnet = await startDevnet();
  client = new NodeClient(devnet.url);
});

after(async () => {
  await devnet?.stop();
});

function keyOf(name: string): SecretKey {
  return SecretKey.fromHex(devnet.key(name).secret_key);
}

async function transferTx(from: SecretKey, to: string, amount: bigint): Promise<SignedTx> {
  return client.sign(from, { type: "transfer", to, amount });
}

function flipped(bytes: Uint8Array, at: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[at] = copy[at]! ^ 0x01;
  return copy;
}

async function snapshot(...addresses: string[]) {
  return Promise.all(addresses.map(async (a) => {
    const v = await client.account(a);
    return { balance: v.balance, nonce: v.nonce, pending: v.pending_nonce };
  }));
}

describe("against a devnet", () => {
  test("the SDK derives each keyring account's public key and address from its secret key", () => {
    for (const name of ["alice", "bob", "carol", "dave", "erin"]) {
      const entry = devnet.key(name);
      const key = SecretKey.fromHex(entry.secret_key);
      assert.equal(key.publicKeyHex(), entry.public_key, name);
      assert.equal(key.address, entry.address, name);
    }
  });

  test("a transfer signed by the SDK is committed and moves exactly the amount and the fee", async () => {
    const alice = keyOf("alice");
    const to = SecretKey.generate().address;
    const fee = uplx((await client.chain()).params.min_fee);
    const before = await client.balance(alice.address);
    const done = await client.sendAndWait(alice, { type: "transfer", to, amount: 1_234_567n }, { fee });
    assert.ok(done.height >= 1);
    assert.equal(done.fee, fee);
    assert.equal(await client.balance(to), 1_234_567n);
    assert.equal(before - (await client.balance(alice.address)), 1_234_567n + fee);
    const status = await client.txStatus(done.hash);
    assert.equal(status.status, "committed");
    assert.equal(status.code, "ok");
  });

  for (const [where, tamper] of [
    ["signature", (tx: SignedTx) => assembleSignedTx(tx.payload, flipped(tx.signature, 10))],
    ["payload", (tx: SignedTx) => assembleSignedTx(flipped(tx.payload, tx.payload.length - 1), tx.signature)],
  ] as const) {
    test(`a transfer with one flipped byte in its ${where} is refused with the node's code and changes nothing`, async () => {
      const bob = keyOf("bob");
      const to = SecretKey.generate().address;
      const good = await transferTx(bob, to, 5_000n);
      const bad = tamper(good);
      const before = await snapshot(bob.address, to);
      const refusal = await client.submit(bad).then(
        () => assert.fail("the node admitted a tampered transaction"),
        (e: unknown) => e,
      );
      assert.ok(refusal instanceof TxRefusedError, String(refusal));
      assert.equal(refusal.status, 400);
      assert.match(refusal.code, /signature/);
      assert.match(refusal.message, new RegExp(`${bad.hash}.*${refusal.code}`));
      assert.equal((await client.txStatus(bad.hash)).status, "unknown");
      // A block later nothing has moved.
      const height = (await client.status()).height;
      await pollUntil(async () => (await client.status()).height > height + 1, 30_000);
      assert.deepEqual(await snapshot(bob.address, to), before);
      // The untampered transaction with the same nonce is still good.
      await client.submit(good);
      await client.waitForCommit(good.hash);
      assert.equal(await client.balance(to), 5_000n);
    });
  }

  test("two transfers sent in a row without waiting both commit, with consecutive nonces", async () => {
    const carol = keyOf("carol");
    const to = SecretKey.generate().address;
    const nonce = (await client.account(carol.address)).nonce;
    const first = await client.send(carol, { type: "transfer", to, amount: 100n });
    const second = await client.send(carol, { type: "transfer", to, amount: 200n });
    const [a, b] = await Promise.all([client.waitForCommit(first.hash), client.waitForCommit(second.hash)]);
    assert.ok(a.height <= b.height);
    assert.equal(await client.balance(to), 300n);
    assert.equal((await client.account(carol.address)).nonce, nonce + 2);
  });

  test("a transfer past the balance commits as failed with the node's code, taking only the fee", async () => {
    const alice = keyOf("alice");
    const spender = SecretKey.generate();
    const to = SecretKey.generate().address;
    await client.sendAndWait(alice, { type: "transfer", to: spender.address, amount: 10_000n });
    const fee = uplx((await client.chain()).params.min_fee);
    const failure = await client.sendAndWait(spender, { type: "transfer", to, amount: 9_500n }, { fee }).then(
      () => assert.fail("an overspending transfer succeeded"),
      (e: unknown) => e,
    );
    assert.ok(failure instanceof TxFailedError, String(failure));
    assert.equal(failure.code, "insufficient_funds");
    assert.match(failure.message, /failed at height \d+ \(insufficient_funds\)/);
    assert.equal(await client.balance(spender.address), 10_000n - fee);
    assert.equal(await client.balance(to), 0n);
  });

  test("a transaction from an account that cannot pay the fee is refused with the node's code", async () => {
    const broke = SecretKey.generate();
    await assert.rejects(
      client.send(broke, { type: "transfer", to: keyOf("alice").address, amount: 1n }),
      (e: unknown) => e instanceof TxRefusedError && e.code === "insufficient_fee" && /less than the fee/.test(e.message),
    );
  });

  test("a bad address is refused before anything is sent", async () => {
    const dave = keyOf("dave");
    const good = SecretKey.generate().address;
    const typo = good.slice(0, -1) + (good.endsWith("q") ? "p" : "q");
    const before = await snapshot(dave.address);
    await assert.rejects(client.send(dave, { type: "transfer", to: typo, amount: 1n }), /invalid address .*not valid bech32/);
    await assert.rejects(
      client.send(dave, { type: "transfer", to: "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu", amount: 1n }),
      /expected prefix `plx`/,
    );
    await assert.rejects(client.send(dave, { type: "transfer", to: "plx1", amount: 1n }), /invalid address/);
    assert.deepEqual(await snapshot(dave.address), before);
  });

  test("the transfer example sends and prints the committed transaction", async () => {
    const erin = devnet.key("erin");
    const to = SecretKey.generate().address;
    const { stdout } = await run("node", [EXAMPLES + "transfer.js", "--node", devnet.url, "--to", to, "--amount", "1.5plx"], {
      env: { ...process.env, PLEXUS_SECRET_KEY: erin.secret_key },
    });
    assert.match(stdout, /sent 1\.5plx to plx1.*: tx [0-9a-f]{64} committed at height \d+/);
    assert.equal(await client.balance(to), 1_500_000n);
  });

  test("the transfer example refuses a bad address with a clear error", async () => {
    const erin = devnet.key("erin");
    const failed = await run("node", [EXAMPLES + "transfer.js", "--node", devnet.url, "--key", erin.secret_key, "--to", "plx1bad", "--amount", "1plx"]).then(
      () => assert.fail("the example succeeded"),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /invalid address/);
  });

  test("the register-device example puts a device on chain under the owner", async () => {
    const owner = devnet.key("alice");
    const device = SecretKey.generate();
    const { stdout } = await run("node", [
      EXAMPLES + "register-device.js", "--node", devnet.url, "--key", owner.secret_key,
      "--device-key", device.secretHex(), "--class", "cpu-small", "--follow-seconds", "0",
    ]);
    assert.match(stdout, new RegExp(`registered device ${device.publicKeyHex()} \\(cpu-small`));
    const onChain = await client.device(device.publicKey);
    assert.ok(onChain, "the chain has the device");
    assert.equal(onChain.owner, owner.address);
    assert.equal(onChain.class, "cpu-small");
  });

  test("the create-training-task example escrows the budget and hands the coordinator its validation set", async () => {
    const sponsor = devnet.key("bob");
    const dir = mkdtempSync(join(tmpdir(), "plexus-sdk-ts-learn-"));
    try {
      const digits = readFileSync(join(REPO_ROOT, "crates/learn/data/digits.csv"), "utf8").split("\n");
      const validation = join(dir, "validation.csv");
      writeFileSync(validation, digits.slice(0, 100).join("\n") + "\n");
      const before = await client.balance(sponsor.address);
      const { stdout } = await run("node", [
        EXAMPLES + "create-training-task.js", "--node", devnet.url, "--key", sponsor.secret_key,
        "--validation", validation, "--coordinator-url", devnet.oracleUrl, "--rounds", "2", "--budget", "3plx",
      ]);
      const id = Number(/training task (\d+) created/.exec(stdout)?.[1]);
      assert.ok(Number.isInteger(id), stdout);
      assert.match(stdout, /the coordinator at .* has the validation set/);
      const task = await client.trainingTask(id);
      assert.equal(task.sponsor, sponsor.address);
      assert.equal(task.terms.budget, "3000000");
      assert.equal(task.terms.rounds, 2);
      const fee = uplx((await client.chain()).params.min_fee);
      assert.equal(before - (await client.balance(sponsor.address)), 3_000_000n + fee);
      const round = (await (await fetch(`${devnet.oracleUrl}/v1/learn/tasks/${id}/round`)).json()) as { has_validation: boolean };
      assert.equal(round.has_validation, true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the node serves the OpenAPI document the SDK's types were generated from", async () => {
    const served = await (await fetch(`${devnet.url}/v1/openapi.json`)).json();
    const checkedIn = JSON.parse(readFileSync(fileURLToPath(new URL("../../openapi.json", import.meta.url)), "utf8"));
    assert.deepEqual(served, checkedIn, "the node's API changed: refresh sdk/ts/openapi.json and run npm run gen:api-types");
  });
});

async function pollUntil(condition: () => Promise<boolean>, deadlineMs: number): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > deadlineMs) throw new Error(`condition not met within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
