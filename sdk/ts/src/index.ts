/**
 * @plexus/sdk: keys, transactions signed byte for byte as the node expects, and a client for
 * the node's HTTP API.
 */

export * from "./address.js";
export * from "./amount.js";
export * from "./bytes.js";
export * from "./keys.js";
export * from "./statements.js";
export * from "./tx/bodies.js";
export * from "./tx/envelope.js";
export * from "./client.js";
export * from "./errors.js";
export type * from "./views.js";
export type { components, paths } from "./api-types.js";
export * from "./blobs.js";
