// What every example takes: the node's URL and the signer's secret key, from flags or the
// environment (PLEXUS_NODE, PLEXUS_SECRET_KEY), plus its own options.

import { parseArgs } from "node:util";
import { NodeClient, SecretKey } from "../src/index.js";

export interface ExampleContext {
  client: NodeClient;
  key: SecretKey;
  options: Record<string, string | undefined>;
}

/** Parses `--node URL --key HEX` and the example's own string options; exits 2 with usage on error. */
export function exampleArgs(usage: string, own: string[]): ExampleContext {
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    console.log(`usage: ${usage}\n(--node defaults to PLEXUS_NODE or http://127.0.0.1:26650; --key to PLEXUS_SECRET_KEY)`);
    process.exit(0);
  }
  const spec: Record<string, { type: "string" }> = { node: { type: "string" }, key: { type: "string" } };
  for (const name of own) spec[name] = { type: "string" };
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({ options: spec, allowPositionals: false }).values as Record<string, string | undefined>;
  } catch (e) {
    fail(usage, (e as Error).message);
  }
  const node = values.node ?? process.env.PLEXUS_NODE ?? "http://127.0.0.1:26650";
  const secret = values.key ?? process.env.PLEXUS_SECRET_KEY;
  if (!secret) fail(usage, "no secret key: pass --key HEX or set PLEXUS_SECRET_KEY");
  try {
    return { client: new NodeClient(node), key: SecretKey.fromHex(secret), options: values };
  } catch (e) {
    fail(usage, (e as Error).message);
  }
}

export function fail(usage: string, why: string): never {
  console.error(`error: ${why}\nusage: ${usage}`);
  process.exit(2);
}

/** Runs an example's main, printing a failure as one line and exiting 1. */
export function run(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
