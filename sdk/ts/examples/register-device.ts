// Registers a new device under the key's account (the owner) and follows its rewards: the
// device's status, the epochs that end and the owner's balance.
//   node dist/examples/register-device.js --node URL --key HEX [--class cpu-small]
//     [--device-key HEX] [--stake 100plx] [--h3-cell 617700169958293503] [--follow-seconds 0]
// Earning needs an agent running the device (`plexus agent`), which answers the oracle's
// challenges with the device key; this example only registers it and watches.

import { SecretKey, formatPlx, parseAmount, signDeviceRegistration, uplx } from "../src/index.js";
import { exampleArgs, run } from "./args.js";

const USAGE =
  "register-device.js --node URL --key HEX [--class NAME] [--device-key HEX] [--stake AMOUNT] [--h3-cell N] [--follow-seconds N]";

run(async () => {
  const { client, key, options } = exampleArgs(USAGE, ["class", "device-key", "stake", "h3-cell", "follow-seconds", "cpu-cores", "memory-mb"]);
  const chain = await client.chain();
  const className = options.class ?? "cpu-small";
  const deviceClass = chain.device_classes.find((c) => c.name === className);
  if (!deviceClass) {
    throw new Error(`chain ${chain.chain_id} has no device class ${className}; it has ${chain.device_classes.map((c) => c.name).join(", ")}`);
  }
  const stake = options.stake ? parseAmount(options.stake) : uplx(deviceClass.min_stake);
  const device = options["device-key"] ? SecretKey.fromHex(options["device-key"]) : SecretKey.generate();
  const done = await client.sendAndWait(key, {
    type: "register_device",
    device: device.publicKey,
    class: className,
    capabilities: { cpuCores: Number(options["cpu-cores"] ?? 4), memoryMb: Number(options["memory-mb"] ?? 8192) },
    h3Cell: BigInt(options["h3-cell"] ?? "617700169958293503"),
    stake,
    deviceSignature: signDeviceRegistration(device, chain.chain_id, key.address),
  });
  console.log(`registered device ${device.publicKeyHex()} (${className}, stake ${formatPlx(stake)}) under ${key.address}: tx ${done.hash} at height ${done.height}`);
  if (!options["device-key"]) console.log(`device secret key (keep it for the agent): ${device.secretHex()}`);
  const onChain = await client.device(device.publicKey);
  console.log(`the chain shows it: owner ${onChain?.owner}, status ${JSON.stringify(onChain?.status)}`);

  const followMs = Number(options["follow-seconds"] ?? "0") * 1000;
  const until = Date.now() + followMs;
  let lastEpoch = -1;
  while (Date.now() < until) {
    const rewards = await client.rewards();
    if (rewards.last_ended_epoch !== lastEpoch) {
      lastEpoch = rewards.last_ended_epoch;
      const status = (await client.device(device.publicKey))?.status;
      const balance = await client.balance(key.address);
      console.log(`epoch ${lastEpoch} ended: device ${JSON.stringify(status)}, owner balance ${formatPlx(balance)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
});
