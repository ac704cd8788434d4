// Sends PLX from the key's account to another address and waits for the commit.
//   node dist/examples/transfer.js --node URL --key HEX --to plx1… --amount 1.5plx

import { formatPlx, parseAmount } from "../src/index.js";
import { exampleArgs, fail, run } from "./args.js";

const USAGE = "transfer.js --node URL --key HEX --to ADDRESS --amount AMOUNT (2.5plx or 2500000uplx)";

run(async () => {
  const { client, key, options } = exampleArgs(USAGE, ["to", "amount"]);
  if (!options.to || !options.amount) fail(USAGE, "--to and --amount are required");
  const amount = parseAmount(options.amount);
  const before = await client.balance(key.address);
  console.log(`from ${key.address} (balance ${formatPlx(before)})`);
  const done = await client.sendAndWait(key, { type: "transfer", to: options.to, amount });
  console.log(`sent ${formatPlx(amount)} to ${options.to}: tx ${done.hash} committed at height ${done.height}, fee ${done.fee} uplx`);
  console.log(`balance now ${formatPlx(await client.balance(key.address))}`);
});
