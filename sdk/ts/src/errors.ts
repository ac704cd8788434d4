/**
 * Errors the client raises, each carrying what a program needs to act on it.
 */

/** The node answered a request with an error (`{"error": {"code", "message"}}`). */
export class NodeApiError extends Error {
  constructor(
    readonly status: number,
    /** The node's stable code: `bad_signature`, `bad_nonce`, `insufficient_funds`, … */
    readonly code: string,
    readonly nodeMessage: string,
    readonly path: string,
  ) {
    super(`${path}: the node answered ${status} ${code}: ${nodeMessage}`);
    this.name = "NodeApiError";
  }
}

/** The node refused a transaction at submission; nothing was admitted or changed. */
export class TxRefusedError extends NodeApiError {
  constructor(status: number, code: string, nodeMessage: string, readonly hash: string) {
    super(status, code, nodeMessage, "/v1/txs");
    this.message = `transaction ${hash} refused (${code}): ${nodeMessage}`;
    this.name = "TxRefusedError";
  }
}

/** The transaction was committed but failed (its code is not `ok`); only its fee was taken. */
export class TxFailedError extends Error {
  constructor(
    readonly hash: string,
    readonly code: string,
    readonly log: string,
    readonly height: number,
  ) {
    super(`transaction ${hash} failed at height ${height} (${code}): ${log}`);
    this.name = "TxFailedError";
  }
}

/** The transaction was not committed before the deadline. */
export class TxTimeoutError extends Error {
  constructor(
    readonly hash: string,
    readonly lastStatus: string,
    readonly waitedMs: number,
  ) {
    super(`transaction ${hash} not committed after ${waitedMs} ms (last status: ${lastStatus})`);
    this.name = "TxTimeoutError";
  }
}
