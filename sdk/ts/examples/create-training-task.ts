// Creates a federated training task: escrows the budget, puts the commitment to a held-out
// validation set on chain and, given the coordinator's URL, hands it the set and the salt.
//   node dist/examples/create-training-task.js --node URL --key HEX --validation FILE.csv
//     [--coordinator-url URL] [--spec FILE.json] [--dataset digits] [--rounds 3]
//     [--min-participants 2] [--budget 10plx] [--coordinator plx1…]
// Without --spec, the task trains an MLP on 8×8 digits (64 features, 10 classes).

import { readFileSync } from "node:fs";
import { formatPlx, parseAmount, toHex, utf8, validationCommitment, type NodeClient, type TaskView } from "../src/index.js";
import { exampleArgs, fail, run } from "./args.js";

const USAGE =
  "create-training-task.js --node URL --key HEX --validation FILE.csv [--coordinator-url URL] [--spec FILE.json] [--dataset NAME] [--rounds N] [--min-participants N] [--budget AMOUNT] [--coordinator ADDRESS]";

function digitsSpec(coordinatorUrl: string): string {
  return JSON.stringify({
    architecture: { kind: "mlp", hidden: 32 },
    features: 64,
    classes: 10,
    scale: 0.0625,
    seed: 1,
    rule: { rule: "trimmed_mean", trim: 0.25 },
    train: { epochs: 2, batch: 16, lr: 0.1 },
    round_timeout_ms: 10000,
    quorum: 1,
    coordinator_url: coordinatorUrl,
  });
}

/** The newest task of `sponsor` with this commitment (the one just created). */
async function findTask(client: NodeClient, sponsor: string, commitment: string): Promise<TaskView | undefined> {
  let found: TaskView | undefined;
  let from: number | undefined = 0;
  while (from !== undefined) {
    const page = await client.trainingTasks({ from, limit: 1000 });
    for (const t of page.tasks) if (t.sponsor === sponsor && t.terms.validation_commitment === commitment) found = t;
    from = page.next ?? undefined;
  }
  return found;
}

/** Hands the coordinator the validation set, retrying while it has not seen the task yet. */
async function handOver(coordinatorUrl: string, task: number, salt: Uint8Array, csv: string): Promise<void> {
  const url = `${coordinatorUrl.replace(/\/+$/, "")}/v1/learn/tasks/${task}/validation`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ salt: toHex(salt), csv }),
    }).catch(() => undefined);
    if (res?.ok) return;
    if (res && res.status !== 503 && res.status !== 404) {
      throw new Error(`the coordinator refused the validation set (${res.status}): ${await res.text()}`);
    }
    if (Date.now() > deadline) throw new Error(`the coordinator at ${coordinatorUrl} did not take task ${task}'s validation set within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

run(async () => {
  const { client, key, options } = exampleArgs(USAGE, [
    "validation", "coordinator-url", "spec", "dataset", "rounds", "min-participants", "budget", "coordinator",
  ]);
  if (!options.validation) fail(USAGE, "--validation FILE.csv is required");
  const csv = readFileSync(options.validation, "utf8");
  const chain = await client.chain();
  const coordinator = options.coordinator ?? chain.oracles.members[0];
  if (!coordinator) throw new Error("the chain has no oracle to coordinate; pass --coordinator");
  const spec = options.spec ? readFileSync(options.spec, "utf8").trim() : digitsSpec(options["coordinator-url"] ?? "http://127.0.0.1:26651");
  const salt = crypto.getRandomValues(new Uint8Array(32));
  const commitment = validationCommitment(salt, utf8(csv));
  const budget = parseAmount(options.budget ?? "10plx");
  const done = await client.sendAndWait(key, {
    type: "create_training_task",
    dataset: options.dataset ?? "digits",
    spec,
    validationCommitment: commitment,
    rounds: Number(options.rounds ?? "3"),
    minParticipants: Number(options["min-participants"] ?? "2"),
    budget,
    coordinator,
  });
  const task = await findTask(client, key.address, toHex(commitment));
  if (!task) throw new Error(`tx ${done.hash} committed, but the node lists no task of ${key.address} with this commitment`);
  console.log(`training task ${task.id} created at height ${done.height} (tx ${done.hash}): dataset ${task.terms.dataset}, ${task.terms.rounds} rounds, budget ${formatPlx(budget)} escrowed, coordinator ${coordinator}`);
  console.log(`validation salt (keep it to prove the commitment): ${toHex(salt)}`);
  if (options["coordinator-url"]) {
    await handOver(options["coordinator-url"], task.id, salt, csv);
    console.log(`the coordinator at ${options["coordinator-url"]} has the validation set`);
  }
});
