/**
 * A client for one node's HTTP API (`/v1/...`) over the platform's `fetch`: queries, and
 * sending a transaction signed with the account's next nonce and waiting for its commit.
 */

import { addressBytes } from "./address.js";
import { uplx, type AmountLike } from "./amount.js";
import { toHex } from "./bytes.js";
import { NodeApiError, TxFailedError, TxRefusedError, TxTimeoutError } from "./errors.js";
import type { SecretKey } from "./keys.js";
import { signTx, type SignedTx } from "./tx/envelope.js";
import type { Body } from "./tx/bodies.js";
import type * as V from "./views.js";

export interface ClientOptions {
  /** Per-request timeout; default 10 s. */
  requestTimeoutMs?: number;
}

export interface WaitOptions {
  /** How long to wait for the commit; default 30 s. */
  timeoutMs?: number;
  /** Time between polls; default 200 ms. */
  pollMs?: number;
}

export interface SendOptions extends WaitOptions {
  /** Fee in uplx; default: the chain's minimum fee. */
  fee?: AmountLike;
  /** Nonce to sign with; default: `nextNonce` of the signer's account. */
  nonce?: number | bigint;
}

/** A committed transaction whose code is `ok`. */
export interface CommittedTx {
  hash: string;
  height: number;
  index: number;
  /** The fee taken, uplx. */
  fee: bigint;
  status: V.TxStatusView;
}

export interface Page {
  from?: number;
  limit?: number;
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined) as Array<[string, string | number | boolean]>;
  if (entries.length === 0) return "";
  return "?" + entries.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join("&");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class NodeClient {
  readonly baseUrl: string;
  private readonly requestTimeoutMs: number;
  private chainCache?: V.ChainView;

  constructor(baseUrl: string, options: ClientOptions = {}) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new Error(`invalid node URL ${JSON.stringify(baseUrl)}: expected http(s)://host:port`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new Error(`invalid node URL ${JSON.stringify(baseUrl)}: expected http or https`);
    }
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  }

  /** GETs `path` and parses the JSON; a non-2xx answer throws `NodeApiError`. */
  async get<T>(path: string): Promise<T> {
    const { status, body } = await this.request("GET", path);
    if (status < 200 || status >= 300) throw this.apiError(status, body, path);
    return body as T;
  }

  private async request(method: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, { ...init, method, signal: AbortSignal.timeout(this.requestTimeoutMs) });
    } catch (e) {
      throw new Error(`${method} ${this.baseUrl}${path} failed: ${(e as Error).message}`, { cause: e });
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      body = text;
    }
    return { status: res.status, body };
  }

  private apiError(status: number, body: unknown, path: string): NodeApiError {
    const detail = (body as V.ErrorBody | undefined)?.error;
    if (detail && typeof detail.code === "string") return new NodeApiError(status, detail.code, detail.message, path);
    return new NodeApiError(status, "http_" + status, typeof body === "string" ? body : JSON.stringify(body), path);
  }

  status(): Promise<V.StatusView> {
    return this.get("/v1/status");
  }

  /** The chain's genesis-fixed facts (chain id, device classes, params); cached. */
  async chain(): Promise<V.ChainView> {
    this.chainCache ??= await this.get<V.ChainView>("/v1/chain");
    return this.chainCache;
  }

  account(address: string, height?: number): Promise<V.AccountView> {
    addressBytes(address);
    return this.get(`/v1/accounts/${address}${query({ height })}`);
  }

  /** The account's balance in uplx. */
  async balance(address: string): Promise<bigint> {
    return uplx((await this.account(address)).balance, "balance");
  }

  /**
   * The nonce to sign the account's next transaction with: past both the committed nonce and
   * the account's transactions in the node's mempool, so transactions sent in a row do not
   * collide.
   */
  async nextNonce(address: string): Promise<number> {
    const a = await this.account(address);
    return Math.max(a.nonce, a.pending_nonce ?? 0);
  }

  /** A transaction's status; `unknown` (the node's 404) is returned, not thrown. */
  async txStatus(hash: string): Promise<V.TxStatusView> {
    const path = `/v1/txs/${hash}`;
    const { status, body } = await this.request("GET", path);
    if (status === 200 || (status === 404 && (body as V.TxStatusView | undefined)?.status === "unknown")) {
      return body as V.TxStatusView;
    }
    throw this.apiError(status, body, path);
  }

  devices(page: Page = {}): Promise<V.DevicesView> {
    return this.get(`/v1/devices${query({ ...page })}`);
  }

  /** One device by its public key (hex or bytes); `undefined` when the chain has none. */
  async device(key: string | Uint8Array): Promise<V.DeviceView | undefined> {
    const hex = typeof key === "string" ? key : toHex(key);
    try {
      return await this.get<V.DeviceView>(`/v1/devices/${hex}`);
    } catch (e) {
      if (e instanceof NodeApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  epoch(epoch: number): Promise<V.EpochView> {
    return this.get(`/v1/epochs/${epoch}`);
  }

  rewards(): Promise<V.RewardsView> {
    return this.get("/v1/rewards");
  }

  orders(filter: Page & { owner?: string; live?: boolean } = {}): Promise<V.OrdersView> {
    return this.get(`/v1/market/orders${query({ ...filter })}`);
  }

  order(id: number): Promise<V.OrderView> {
    return this.get(`/v1/market/orders/${id}`);
  }

  lease(id: number): Promise<V.LeaseView> {
    return this.get(`/v1/market/leases/${id}`);
  }

  trainingTasks(page: Page = {}): Promise<V.TasksView> {
    return this.get(`/v1/learn/tasks${query({ ...page })}`);
  }

  trainingTask(id: number): Promise<V.TaskView> {
    return this.get(`/v1/learn/tasks/${id}`);
  }

  trainingRounds(id: number, page: Page = {}): Promise<V.RoundsView> {
    return this.get(`/v1/learn/tasks/${id}/rounds${query({ ...page })}`);
  }

  /** Submits wire bytes; a refusal throws `TxRefusedError` with the node's code and message. */
  async submit(tx: SignedTx): Promise<V.SubmittedView> {
    const { status, body } = await this.request("POST", "/v1/txs", {
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tx: toHex(tx.bytes) }),
    });
    if (status === 202 || status === 200) {
      const admitted = body as V.SubmittedView;
      if (admitted.hash !== tx.hash) {
        throw new Error(`the node admitted the transaction as ${admitted.hash}, but its bytes hash to ${tx.hash}`);
      }
      return admitted;
    }
    const e = this.apiError(status, body, "/v1/txs");
    throw new TxRefusedError(status, e.code, e.nodeMessage, tx.hash);
  }

  /**
   * Polls the transaction until it is committed or `timeoutMs` passes. Committed with a
   * code other than `ok` throws `TxFailedError`; not committed in time throws `TxTimeoutError`.
   */
  async waitForCommit(hash: string, options: WaitOptions = {}): Promise<CommittedTx> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const pollMs = options.pollMs ?? 200;
    const started = Date.now();
    let last = "unknown";
    for (;;) {
      const s = await this.txStatus(hash);
      last = s.status;
      if (s.status === "committed") {
        const height = s.height ?? 0;
        if (s.code !== "ok") throw new TxFailedError(hash, s.code ?? "?", s.log ?? "", height);
        return { hash, height, index: s.index ?? 0, fee: uplx(s.fee ?? "0", "fee"), status: s };
      }
      if (Date.now() - started >= timeoutMs) throw new TxTimeoutError(hash, last, Date.now() - started);
      await sleep(pollMs);
    }
  }

  /** Signs `body` with `key` (chain id, next nonce, the minimum fee unless given). */
  async sign(key: SecretKey, body: Body, options: SendOptions = {}): Promise<SignedTx> {
    const chain = await this.chain();
    const nonce = options.nonce ?? (await this.nextNonce(key.address));
    const fee = options.fee ?? chain.params.min_fee;
    return signTx({ chainId: chain.chain_id, nonce, fee, body }, key);
  }

  /** Signs and submits `body`; returns once the node has admitted it to its mempool. */
  async send(key: SecretKey, body: Body, options: SendOptions = {}): Promise<SignedTx> {
    const tx = await this.sign(key, body, options);
    await this.submit(tx);
    return tx;
  }

  /** Signs, submits and waits for `body` to be committed with code `ok`. */
  async sendAndWait(key: SecretKey, body: Body, options: SendOptions = {}): Promise<CommittedTx> {
    const tx = await this.send(key, body, options);
    return this.waitForCommit(tx.hash, options);
  }
}
