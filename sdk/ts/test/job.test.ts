// Against a devnet with provider agents: the submit-job example opens an order for a job spec
// on the node's blob service, providers run it, and the example downloads the accepted output.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { NodeClient, type OrderView } from "../src/index.js";
import { startDevnet, type Devnet } from "./devnet.js";

const run = promisify(execFile);
const EXAMPLES = fileURLToPath(new URL("../examples/", import.meta.url));

let devnet: Devnet;
let client: NodeClient;

before(async () => {
  // Two compute agents; the devnet's own consumer opens one order (whose spec we reuse) and
  // then waits an hour before its next.
  devnet = await startDevnet(["--agents", "2", "--job-every", "3600s"]);
  client = new NodeClient(devnet.url);
});

after(async () => {
  await devnet?.stop();
});

async function firstOrder(deadlineMs: number): Promise<OrderView> {
  const started = Date.now();
  for (;;) {
    const first = (await client.orders()).orders[0];
    if (first) return first;
    if (Date.now() - started > deadlineMs) throw new Error(`the devnet opened no order within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test("the submit-job example gets a job run by providers and downloads its verified output", async () => {
  const spec = (await firstOrder(60_000)).order.terms.spec;
  const consumer = devnet.key("alice");
  const { stdout } = await run("node", [
    EXAMPLES + "submit-job.js", "--node", devnet.url, "--key", consumer.secret_key, "--spec-id", spec, "--timeout-seconds", "120",
  ], { timeout: 150_000 });
  const id = Number(/order (\d+) opened/.exec(stdout)?.[1]);
  assert.ok(Number.isInteger(id), stdout);
  // The demo module counts and sums the numbers "1 2 3" of its input.
  assert.match(stdout, /downloaded \d+ bytes, blake3 checked\noutput: count 3 sum 6 /);
  const order = await client.order(id);
  assert.equal(order.order.owner, consumer.address);
  assert.ok(order.order.results.length >= 1);
});
