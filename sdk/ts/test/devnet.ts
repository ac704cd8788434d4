// Starts a throwaway Plexus devnet for the live tests and stops it: `plexus devnet` on free
// loopback ports with its home in a temporary directory and the unencrypted test keyring.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

export interface KeyringEntry {
  name: string;
  address: string;
  public_key: string;
  secret_key: string;
}

export interface Devnet {
  url: string;
  /** The (first) oracle's API, which also coordinates training tasks. */
  oracleUrl: string;
  home: string;
  key(name: string): KeyringEntry;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `probe` (whose errors mean "not yet") until it answers, the deadline passes or `gone()`. */
async function pollUntil<T>(what: string, deadlineMs: number, probe: () => Promise<T | undefined>, gone: () => boolean, log: () => string): Promise<T> {
  const started = Date.now();
  for (;;) {
    if (gone()) throw new Error(`the devnet exited while waiting for ${what}; its output:\n${log()}`);
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() - started > deadlineMs) throw new Error(`${what} not within ${deadlineMs} ms; devnet output:\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The `plexus devnet` flags that choose its agents. */
const AGENT_FLAGS = ["--agents", "--storage-agents", "--bandwidth-agents", "--cheaters", "--training"];

/**
 * Starts a devnet and waits until it has committed a block and written its keyring. `extra`
 * adds `plexus devnet` flags (for example provider agents).
 */
export async function startDevnet(extra: string[] = []): Promise<Devnet> {
  const bin = process.env.PLEXUS_BIN ?? join(REPO_ROOT, "target/debug/plexus");
  if (!existsSync(bin)) throw new Error(`no plexus binary at ${bin}: build it (cargo build -p plexus-cli) or set PLEXUS_BIN`);
  const home = mkdtempSync(join(tmpdir(), "plexus-sdk-ts-"));
  const api = await freePort();
  const oracle = await freePort();
  const args = [
    "--home", home, "devnet",
    "--api", `127.0.0.1:${api}`,
    "--oracle", `127.0.0.1:${oracle}`,
    "--keyring-backend", "test",
    "--demo-tps", "0",
    ...(extra.includes("--job-every") ? [] : ["--job-every", "0s"]),
    // With no agent flag a devnet starts a whole network of agents: these tests ask for theirs.
    ...(extra.some((flag) => AGENT_FLAGS.includes(flag)) ? [] : ["--agents", "0"]),
    "--block-ms", "200",
    "--for", "600s",
    ...extra,
  ];
  let output = "";
  const child: ChildProcess = spawn(bin, args, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${api}`;
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(-child.pid, "SIGTERM");
      const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
      if (!killed) process.kill(-child.pid, "SIGKILL");
      await exited;
    }
    rmSync(home, { recursive: true, force: true });
  };
  try {
    await pollUntil("the devnet answering GET /v1/status at height >= 1", 90_000, async () => {
      const res = await fetch(`${url}/v1/status`, { signal: AbortSignal.timeout(2_000) });
      const status = (await res.json()) as { height: number };
      return status.height >= 1 ? status : undefined;
    }, gone, () => output);
    await pollUntil("the devnet's test keyring", 30_000, async () => (existsSync(join(home, "keyring-test", "alice.json")) ? true : undefined), gone, () => output);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    url,
    oracleUrl: `http://127.0.0.1:${oracle}`,
    home,
    key: (name) => JSON.parse(readFileSync(join(home, "keyring-test", `${name}.json`), "utf8")) as KeyringEntry,
    stop,
  };
}
