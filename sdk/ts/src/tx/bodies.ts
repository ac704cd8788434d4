/**
 * Transaction bodies the SDK can build, and their proto3 encodings (`plexus.v1.TxPayload`'s
 * `body` oneof, see proto/plexus/v1/tx.proto). Amounts are uplx (bigint or decimal string);
 * addresses are `plx1…` text or 20 bytes; keys and hashes are bytes.
 */

import { addressBytes } from "../address.js";
import { uplx, type AmountLike } from "../amount.js";
import { expectLength } from "../bytes.js";
import { ProtoWriter } from "../proto.js";

type Address = string | Uint8Array;

/** What a device declares it can do (`endpoint`: where it serves others, or empty). */
export interface Capabilities {
  cpuCores?: number;
  memoryMb?: number | bigint;
  gpuModel?: string;
  gpuVramMb?: number | bigint;
  gpuCount?: number;
  endpoint?: string;
}

export interface Transfer {
  type: "transfer";
  to: Address;
  amount: AmountLike;
}

export interface RegisterDevice {
  type: "register_device";
  /** The device's ed25519 public key. */
  device: Uint8Array;
  /** Device class, for example "cpu-small" (see `GET /v1/chain`). */
  class: string;
  capabilities: Capabilities;
  h3Cell: number | bigint;
  stake: AmountLike;
  /** The device key's signature over `deviceRegistrationStatement` (see `signDeviceRegistration`). */
  deviceSignature: Uint8Array;
}

export interface UpdateDevice {
  type: "update_device";
  device: Uint8Array;
  capabilities: Capabilities;
  h3Cell: number | bigint;
}

export interface RetireDevice {
  type: "retire_device";
  device: Uint8Array;
}

export interface WithdrawStake {
  type: "withdraw_stake";
  device: Uint8Array;
}

export interface CreateTrainingTask {
  type: "create_training_task";
  /** 1 to 64 characters of a-z, 0-9, '-' and '_'. */
  dataset: string;
  /** The model and training recipe as JSON, at most 2048 bytes. */
  spec: string;
  /** 32 bytes, see `validationCommitment`. */
  validationCommitment: Uint8Array;
  rounds: number;
  minParticipants: number;
  budget: AmountLike;
  coordinator: Address;
}

export interface JoinTrainingTask {
  type: "join_training_task";
  task: number | bigint;
}

export interface CancelTrainingTask {
  type: "cancel_training_task";
  task: number | bigint;
}

export interface CreateOrder {
  type: "create_order";
  /** blake3 of the job spec file (32 bytes), a blob on the node's blob service. */
  spec: Uint8Array;
  runtime: "wasm" | "inference";
  resources: Capabilities;
  maxPricePerBlock: AmountLike;
  durationBlocks: number | bigint;
  replicas: number;
  samplePerMille: number;
  deposit: AmountLike;
}

export interface CloseOrder {
  type: "close_order";
  order: number | bigint;
}

export interface Stake {
  type: "stake";
  /** The operator (a validator or an oracle). */
  validator: Address;
  amount: AmountLike;
}

export interface Unstake {
  type: "unstake";
  validator: Address;
  amount: AmountLike;
}

export interface Redelegate {
  type: "redelegate";
  from: Address;
  to: Address;
  amount: AmountLike;
}

export interface WithdrawStakingRewards {
  type: "withdraw_staking_rewards";
  validator: Address;
}

/** Every body the SDK builds. */
export type Body =
  | Transfer
  | RegisterDevice
  | UpdateDevice
  | RetireDevice
  | WithdrawStake
  | CreateTrainingTask
  | JoinTrainingTask
  | CancelTrainingTask
  | CreateOrder
  | CloseOrder
  | Stake
  | Unstake
  | Redelegate
  | WithdrawStakingRewards;

/** The field number of each body in `TxPayload`'s oneof. */
const FIELD: Record<Body["type"], number> = {
  transfer: 10,
  register_device: 11,
  update_device: 12,
  retire_device: 13,
  withdraw_stake: 14,
  create_training_task: 20,
  join_training_task: 21,
  cancel_training_task: 23,
  create_order: 24,
  close_order: 30,
  stake: 34,
  unstake: 35,
  redelegate: 36,
  withdraw_staking_rewards: 37,
};

function amountText(value: AmountLike, what: string): string {
  return uplx(value, what).toString();
}

function key32(bytes: Uint8Array, what: string): Uint8Array {
  return expectLength(bytes, 32, what);
}

function encodeCapabilities(c: Capabilities): Uint8Array {
  return new ProtoWriter()
    .uint32(1, c.cpuCores ?? 0, "cpu_cores")
    .uint64(2, c.memoryMb ?? 0, "memory_mb")
    .string(3, c.gpuModel ?? "")
    .uint64(4, c.gpuVramMb ?? 0, "gpu_vram_mb")
    .uint32(5, c.gpuCount ?? 0, "gpu_count")
    .string(6, c.endpoint ?? "")
    .finish();
}

function encodeBodyMessage(body: Body): Uint8Array {
  const w = new ProtoWriter();
  switch (body.type) {
    case "transfer":
      return w.bytes(1, addressBytes(body.to, "to")).string(2, amountText(body.amount, "amount")).finish();
    case "register_device":
      return w
        .bytes(1, key32(body.device, "device key"))
        .string(2, body.class)
        .message(3, encodeCapabilities(body.capabilities))
        .uint64(4, body.h3Cell, "h3_cell")
        .string(5, amountText(body.stake, "stake"))
        .bytes(6, expectLength(body.deviceSignature, 64, "device signature"))
        .finish();
    case "update_device":
      return w
        .bytes(1, key32(body.device, "device key"))
        .message(2, encodeCapabilities(body.capabilities))
        .uint64(3, body.h3Cell, "h3_cell")
        .finish();
    case "retire_device":
    case "withdraw_stake":
      return w.bytes(1, key32(body.device, "device key")).finish();
    case "create_training_task":
      return w
        .string(1, body.dataset)
        .string(2, body.spec)
        .bytes(3, key32(body.validationCommitment, "validation commitment"))
        .uint32(4, body.rounds, "rounds")
        .uint32(5, body.minParticipants, "min_participants")
        .string(6, amountText(body.budget, "budget"))
        .bytes(7, addressBytes(body.coordinator, "coordinator"))
        .finish();
    case "join_training_task":
    case "cancel_training_task":
      return w.uint64(1, body.task, "task").finish();
    case "create_order":
      return w
        .bytes(1, key32(body.spec, "spec hash"))
        .string(2, body.runtime)
        .message(3, encodeCapabilities(body.resources))
        .string(4, amountText(body.maxPricePerBlock, "max_price_per_block"))
        .uint64(5, body.durationBlocks, "duration_blocks")
        .uint32(6, body.replicas, "replicas")
        .uint32(7, body.samplePerMille, "sample_per_mille")
        .string(8, amountText(body.deposit, "deposit"))
        .finish();
    case "close_order":
      return w.uint64(1, body.order, "order").finish();
    case "stake":
    case "unstake":
      return w
        .bytes(1, addressBytes(body.validator, "validator"))
        .string(2, amountText(body.amount, "amount"))
        .finish();
    case "redelegate":
      return w
        .bytes(1, addressBytes(body.from, "from"))
        .bytes(2, addressBytes(body.to, "to"))
        .string(3, amountText(body.amount, "amount"))
        .finish();
    case "withdraw_staking_rewards":
      return w.bytes(1, addressBytes(body.validator, "validator")).finish();
  }
}

/** Appends `body` to a `TxPayload` writer as its oneof field. */
export function writeBody(w: ProtoWriter, body: Body): void {
  const field = FIELD[body.type];
  if (field === undefined) throw new Error(`unsupported transaction body ${JSON.stringify((body as { type: unknown }).type)}`);
  if (body.type === "create_order" && body.runtime !== "wasm" && body.runtime !== "inference") {
    throw new Error(`invalid runtime ${JSON.stringify(body.runtime)}: expected "wasm" or "inference"`);
  }
  w.message(field, encodeBodyMessage(body));
}
