// Submits a compute job whose spec is already on the node's blob service (put it there with
// `plexus blob put job.toml --from me`), waits for its accepted result and downloads it,
// checked against the output hash on chain.
//   node dist/examples/submit-job.js --node URL --key HEX --spec-id HEX [--runtime wasm]
//     [--max-price-per-block 0.01plx] [--duration-blocks 120] [--replicas 1]
//     [--sample-per-mille 250] [--cpu-cores 1] [--memory-mb 256] [--deposit AMOUNT]
//     [--output FILE] [--timeout-seconds 180]
// The terms must be those of the spec (runtime, price cap, duration, replicas, resources,
// sample rate), as `plexus job submit` derives them, or providers will not bid.

import { writeFileSync } from "node:fs";
import { fetchBlob, formatPlx, fromHex, parseAmount, type NodeClient, type OrderView } from "../src/index.js";
import { exampleArgs, fail, run } from "./args.js";

const USAGE =
  "submit-job.js --node URL --key HEX --spec-id HEX [--runtime wasm|inference] [--max-price-per-block AMOUNT] [--duration-blocks N] [--replicas N] [--sample-per-mille N] [--cpu-cores N] [--memory-mb N] [--deposit AMOUNT] [--output FILE] [--timeout-seconds N]";

async function findOrder(client: NodeClient, owner: string, spec: string, height: number): Promise<OrderView | undefined> {
  let found: OrderView | undefined;
  let from: number | undefined = 0;
  while (from !== undefined) {
    const page = await client.orders({ owner, from, limit: 1000 });
    for (const o of page.orders) if (o.order.terms.spec === spec && o.order.created_height === height) found = o;
    from = page.next ?? undefined;
  }
  return found;
}

run(async () => {
  const { client, key, options } = exampleArgs(USAGE, [
    "spec-id", "runtime", "max-price-per-block", "duration-blocks", "replicas", "sample-per-mille",
    "cpu-cores", "memory-mb", "deposit", "output", "timeout-seconds",
  ]);
  const specId = options["spec-id"]?.toLowerCase();
  if (!specId) fail(USAGE, "--spec-id is required (the blob id `plexus blob put` printed for the job spec)");
  const spec = fromHex(specId, 32, "spec id");
  const status = await fetch(`${client.baseUrl}/v1/blobs/${specId}/status`);
  if (!status.ok) throw new Error(`the node has no blob ${specId}: put the job spec first (plexus blob put FILE --from ME)`);
  const runtime = options.runtime ?? "wasm";
  if (runtime !== "wasm" && runtime !== "inference") fail(USAGE, `--runtime must be wasm or inference, not ${runtime}`);
  const price = parseAmount(options["max-price-per-block"] ?? "0.01plx");
  const duration = BigInt(options["duration-blocks"] ?? "120");
  const replicas = Number(options.replicas ?? "1");
  const deposit = options.deposit ? parseAmount(options.deposit) : 3n * price * duration * BigInt(replicas);
  const done = await client.sendAndWait(key, {
    type: "create_order",
    spec,
    runtime,
    resources: { cpuCores: Number(options["cpu-cores"] ?? "1"), memoryMb: Number(options["memory-mb"] ?? "256") },
    maxPricePerBlock: price,
    durationBlocks: duration,
    replicas,
    samplePerMille: Number(options["sample-per-mille"] ?? "250"),
    deposit,
  });
  const opened = await findOrder(client, key.address, specId, done.height);
  if (!opened) throw new Error(`tx ${done.hash} committed, but the node lists no order of ${key.address} for spec ${specId}`);
  const id = opened.order.id;
  console.log(`order ${id} opened at height ${done.height} (tx ${done.hash}), ${formatPlx(deposit)} in escrow`);

  const deadline = Date.now() + Number(options["timeout-seconds"] ?? "180") * 1000;
  let last = "";
  for (;;) {
    const view = await client.order(id);
    const line = `${view.order.state.state}, ${view.bids.length} bids, ${view.leases.length} leases, ${view.order.results.length} results accepted`;
    if (line !== last) console.log(`order ${id}: ${line}`);
    last = line;
    const first = view.order.results[0];
    if (first) {
      const [lease, output] = first;
      const bytes = await fetchBlob(client.baseUrl, output);
      console.log(`lease ${lease}'s output ${output} is accepted; downloaded ${bytes.length} bytes, blake3 checked`);
      if (options.output) {
        writeFileSync(options.output, bytes);
        console.log(`wrote ${options.output}`);
      } else {
        console.log(`output: ${new TextDecoder().decode(bytes).trim()}`);
      }
      return;
    }
    if (view.order.state.state === "closed") {
      throw new Error(`order ${id} closed (${view.order.state.reason}) without an accepted result`);
    }
    if (Date.now() > deadline) throw new Error(`order ${id} has no accepted result yet (${line}); follow it with plexus job status ${id}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
});
