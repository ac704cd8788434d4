//! The OpenAPI document of the node's HTTP API, served at `/v1/openapi.json`.

/// OpenAPI 3 document; a test checks that it lists every route the router serves.
pub const DOCUMENT: &str = r#"{
  "openapi": "3.0.3",
  "info": {
    "title": "Plexus node API",
    "version": "0.1.0"
  },
  "paths": {
    "/v1/blobs": {
      "get": {
        "summary": "Complete blobs kept here: [{id, size}] (partial uploads are never listed)",
        "responses": {
          "200": {
            "description": "OK"
          }
        }
      }
    },
    "/v1/blobs/{id}/status": {
      "get": {
        "summary": "What this service holds of a blob: {id, state: complete|partial|absent, size, verified} (verified = durable verified prefix, where an upload resumes)",
        "responses": {
          "200": {
            "description": "OK"
          },
          "400": {
            "description": "bad id"
          }
        },
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string"
            }
          }
        ]
      }
    },
    "/v1/blobs/{id}": {
      "get": {
        "summary": "The verified encoding (bao, chunk groups of 16 KiB with their proof hashes) of bytes start..end of a complete blob; header x-blob-size gives its size",
        "responses": {
          "200": {
            "description": "application/x-bao stream"
          },
          "400": {
            "description": "bad id"
          },
          "404": {
            "description": "not complete here"
          },
          "416": {
            "description": "range outside the blob"
          }
        },
        "parameters": [
          {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
          {"name": "start", "in": "query", "required": false, "schema": {"type": "integer"}},
          {"name": "end", "in": "query", "required": false, "schema": {"type": "integer"}}
        ]
      },
      "put": {
        "summary": "Upload the verified encoding of bytes offset..size; every chunk group is checked against the id before it is written; resume from the verified prefix",
        "responses": {
          "200": {
            "description": "complete: the blob status"
          },
          "400": {
            "description": "incomplete transfer or unaligned offset: {error: {code, message, verified}}"
          },
          "409": {
            "description": "size mismatch, offset beyond the verified prefix, or another upload in progress"
          },
          "413": {
            "description": "larger than the store accepts"
          },
          "422": {
            "description": "a byte did not verify: {error: {code: corrupt, verified}}"
          }
        },
        "parameters": [
          {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
          {"name": "size", "in": "query", "required": true, "schema": {"type": "integer"}},
          {"name": "offset", "in": "query", "required": false, "schema": {"type": "integer"}}
        ]
      }
    },
    "/v1/status": {
      "get": {
        "summary": "Chain id, height, app hash, transactions committed, mempool size",
        "responses": {
          "200": {
            "description": "OK"
          }
        }
      }
    },
    "/v1/txs": {
      "post": {
        "summary": "Submit a signed transaction (raw protobuf SignedTx as application/octet-stream, or JSON {\"tx\": hex})",
        "responses": {
          "202": {
            "description": "Admitted to the mempool: {hash, status}"
          },
          "400": {
            "description": "Bad request: {\"error\": {\"code\", \"message\"}}"
          },
          "409": {
            "description": "Already pending"
          },
          "503": {
            "description": "Mempool full"
          }
        },
        "requestBody": {
          "required": true,
          "content": {
            "application/octet-stream": {
              "schema": {
                "type": "string",
                "format": "binary"
              }
            },
            "application/json": {
              "schema": {
                "type": "object",
                "required": [
                  "tx"
                ],
                "properties": {
                  "tx": {
                    "type": "string"
                  }
                }
              }
            }
          }
        }
      }
    },
    "/v1/txs/batch": {
      "post": {
        "summary": "Submit many transactions (JSON {\"txs\": [hex]}); one result per transaction",
        "responses": {
          "200": {
            "description": "{results: [{hash, status} | {error}]}"
          },
          "400": {
            "description": "Bad request: {\"error\": {\"code\", \"message\"}}"
          }
        },
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "required": [
                  "txs"
                ],
                "properties": {
                  "txs": {
                    "type": "array",
                    "items": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/v1/txs/{hash}": {
      "get": {
        "summary": "Status of a transaction: committed (height, index, code, log, fee), pending or unknown",
        "responses": {
          "200": {
            "description": "committed or pending"
          },
          "400": {
            "description": "Bad request: {\"error\": {\"code\", \"message\"}}"
          },
          "404": {
            "description": "unknown"
          }
        },
        "parameters": [
          {
            "name": "hash",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string"
            }
          }
        ]
      }
    },
    "/v1/accounts/{address}": {
      "get": {
        "summary": "An account's balance and nonce at a height, with a Merkle proof against that height's app hash",
        "responses": {
          "200": {
            "description": "{address, balance, nonce, exists, height, app_hash, proof}"
          },
          "400": {
            "description": "Bad request: {\"error\": {\"code\", \"message\"}}"
          },
          "404": {
            "description": "height not committed"
          }
        },
        "parameters": [
          {
            "name": "address",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "height",
            "in": "query",
            "required": false,
            "schema": {
              "type": "integer"
            }
          }
        ]
      }
    },
    "/v1/blocks/latest": {
      "get": {
        "summary": "The latest committed block",
        "responses": {
          "200": {
            "description": "OK"
          }
        }
      }
    },
    "/v1/blocks/{height}": {
      "get": {
        "summary": "A block by height",
        "responses": {
          "200": {
            "description": "{height, hash, time_ms, proposer, prev_app_hash, app_hash, tx_root, txs}"
          },
          "400": {
            "description": "Bad request: {\"error\": {\"code\", \"message\"}}"
          },
          "404": {
            "description": "no such block"
          }
        },
        "parameters": [
          {
            "name": "height",
            "in": "path",
            "required": true,
            "schema": {
              "type": "integer"
            }
          }
        ]
      }
    },
    "/v1/openapi.json": {
      "get": {
        "summary": "This document",
        "responses": {
          "200": {
            "description": "OK"
          }
        }
      }
    },
    "/metrics": {
      "get": {
        "summary": "Prometheus metrics",
        "responses": {
          "200": {
            "description": "OK"
          }
        }
      }
    },
    "/": {
      "get": {
        "summary": "The explorer (HTML)",
        "responses": {
          "200": {
            "description": "OK"
          }
        }
      }
    },
    "/v1/chain": {
      "get": {
        "summary": "Chain id and genesis parameters: epochs, emission, oracle set, device classes",
        "responses": {
          "200": {
            "description": "OK"
          }
        }
      }
    },
    "/v1/devices": {
      "get": {
        "summary": "Every registered device with owner, class, capabilities, location, stake and status",
        "responses": {
          "200": {
            "description": "OK"
          }
        }
      }
    },
    "/v1/devices/{key}": {
      "get": {
        "summary": "One device by its hex public key",
        "responses": {
          "200": {
            "description": "OK"
          },
          "400": {
            "description": "bad key"
          },
          "404": {
            "description": "unknown device"
          }
        },
        "parameters": [
          {
            "name": "key",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string"
            }
          }
        ]
      }
    },
    "/v1/epochs/{epoch}": {
      "get": {
        "summary": "An ended epoch (number or 'latest'): emission, pools, final manifests, claims",
        "responses": {
          "200": {
            "description": "OK"
          },
          "400": {
            "description": "bad epoch"
          },
          "404": {
            "description": "epoch not ended"
          }
        },
        "parameters": [
          {
            "name": "epoch",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string"
            }
          }
        ]
      }
    },
    "/v1/storage": {
      "get": {
        "summary": "Storage escrow accounting: escrowed = paid + refunded + held, and whether it balances",
        "responses": {
          "200": {
            "description": "OK"
          }
        }
      }
    },
    "/v1/storage/deals": {
      "get": {
        "summary": "Open storage deals, each with its assigned replicas under `assigned` (device, owner, device status, endpoint); with ?provider=KEY only those assigned to that device",
        "responses": {
          "200": {
            "description": "OK"
          },
          "400": {
            "description": "bad device key"
          }
        },
        "parameters": [
          {
            "name": "provider",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string"
            }
          }
        ]
      }
    },
    "/v1/storage/deals/{id}": {
      "get": {
        "summary": "One storage deal: client, blob, size, replicas, price, term (first_epoch..=last_epoch), escrow, paid, refunded, failed replicas, status, and its assigned replicas under `assigned`",
        "responses": {
          "200": {
            "description": "OK"
          },
          "400": {
            "description": "bad deal number"
          },
          "404": {
            "description": "unknown deal"
          }
        },
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "schema": {
              "type": "integer"
            }
          }
        ]
      }
    },
    "/v1/learn": {
      "get": {
        "summary": "Training escrow accounting: escrowed, paid, refunded, held, and whether they balance",
        "responses": {
          "200": {
            "description": "OK"
          }
        }
      }
    },
    "/v1/market": {
      "get": {
        "summary": "Market escrow accounting: escrowed, paid, withdrawn, fees, refunded, bonds, what live orders hold, the escrow balance, and whether they balance",
        "responses": { "200": { "description": "OK" } }
      }
    },
    "/v1/market/orders": {
      "get": {
        "summary": "Compute orders with their bids and leases, oldest first: {orders: [{order, bids, leases}]}. live=true lists the orders that have not ended, owner=ADDRESS one consumer's; from and limit page through all",
        "parameters": [
          { "name": "live", "in": "query", "required": false, "schema": { "type": "boolean" } },
          { "name": "owner", "in": "query", "required": false, "schema": { "type": "string" } },
          { "name": "from", "in": "query", "required": false, "schema": { "type": "integer" } },
          { "name": "limit", "in": "query", "required": false, "schema": { "type": "integer" } }
        ],
        "responses": { "200": { "description": "OK" } }
      }
    },
    "/v1/market/orders/{id}": {
      "get": {
        "summary": "One compute order with its bids and leases: {order: owner, terms, state, escrow, accepted results, paid, fees, refunded; bids; leases}",
        "parameters": [ { "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } } ],
        "responses": {
          "200": { "description": "OK" },
          "400": { "description": "bad order number" },
          "404": { "description": "unknown order" }
        }
      }
    },
    "/v1/market/leases/{id}": {
      "get": {
        "summary": "One lease: provider, device, price, role (run, verifier, referee), state and close reason, settlement, output and check",
        "parameters": [ { "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } } ],
        "responses": {
          "200": { "description": "OK" },
          "400": { "description": "bad lease number" },
          "404": { "description": "unknown lease" }
        }
      }
    },
    "/v1/market/providers/{address}": {
      "get": {
        "summary": "A provider's record: results confirmed by re-execution, results shown wrong, whether it is barred from bidding",
        "parameters": [ { "name": "address", "in": "path", "required": true, "schema": { "type": "string" } } ],
        "responses": {
          "200": { "description": "OK" },
          "400": { "description": "bad address" }
        }
      }
    },
    "/v1/learn/tasks": {
      "get": {
        "summary": "Every federated training task, oldest first: {tasks}",
        "responses": {
          "200": {
            "description": "OK"
          }
        }
      }
    },
    "/v1/learn/tasks/{id}": {
      "get": {
        "summary": "One training task: sponsor, terms (dataset, spec, validation commitment, rounds, min participants, budget, coordinator), participants with their earnings, submitted rounds with accuracy, loss and each share, paid, refunded, status",
        "responses": {
          "200": {
            "description": "OK"
          },
          "400": {
            "description": "bad task number"
          },
          "404": {
            "description": "unknown task"
          }
        },
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "schema": {
              "type": "integer"
            }
          }
        ]
      }
    },
    "/v1/storage/blobs/{blob}": {
      "get": {
        "summary": "Every storage deal made for a blob, oldest first, with their assigned replicas: {blob, deals}",
        "responses": {
          "200": {
            "description": "OK"
          },
          "400": {
            "description": "bad blob id"
          }
        },
        "parameters": [
          {
            "name": "blob",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string"
            }
          }
        ]
      }
    },
    "/v1/rewards": {
      "get": {
        "summary": "Reward accounting: minted = paid + forfeited + dust + expired + claimable",
        "responses": {
          "200": {
            "description": "OK"
          }
        }
      }
    }
  }
}"#;
