//! `GET /v1/events`: server-sent events, one per committed block, for pages that follow the
//! chain live (the console). Each subscriber reads a bounded broadcast channel; one that falls
//! [`EVENT_BACKLOG`] blocks behind is dropped, never buffered without bound, and reconnects.

use super::console::ConsoleSettings;
use super::ApiState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::Stream;
use plexus_chain::Chain;
use serde::Serialize;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::{broadcast, watch};
use utoipa::ToSchema;

/// Blocks a subscriber may fall behind before it is dropped.
pub const EVENT_BACKLOG: usize = 64;

/// One committed block, as `/v1/events` sends it (event name `block`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BlockEvent {
    pub height: u64,
    /// The block's hash, hex.
    pub hash: String,
    /// The state's app hash after the block, hex.
    pub app_hash: String,
    /// Transactions in the block.
    pub txs: usize,
    /// The block's time, Unix milliseconds.
    pub time_ms: u64,
}

/// What the console's routes share: the block events and the console's settings.
pub struct ConsoleState {
    events: broadcast::Sender<BlockEvent>,
    /// Set when the node stops: every event stream ends, so that no open page holds the
    /// server's graceful shutdown.
    closed: watch::Sender<bool>,
    pub(crate) settings: ConsoleSettings,
}

impl ConsoleState {
    /// Starts following `chain`'s commits: each committed block becomes a [`BlockEvent`].
    pub fn follow(chain: &Chain) -> Arc<ConsoleState> {
        let (events, _) = broadcast::channel(EVENT_BACKLOG);
        let sender = events.clone();
        chain.on_commit(Box::new(move |block| {
            // An error only says that nobody is listening right now.
            let _ = sender.send(BlockEvent {
                height: block.height,
                hash: block.hash.to_hex(),
                app_hash: block.app_hash.to_hex(),
                txs: block.txs,
                time_ms: block.time_ms,
            });
        }));
        Arc::new(ConsoleState {
            events,
            closed: watch::Sender::new(false),
            settings: ConsoleSettings::default(),
        })
    }

    /// Tells the console where the oracles' APIs are (base URLs, `http://host:port`).
    pub fn set_oracles(&self, urls: Vec<String>) {
        self.settings.set_oracles(urls);
    }

    /// Ends every event stream, now and from now on.
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// A stream of the blocks committed from now on; it ends when the subscriber lags or
    /// the node stops.
    pub fn subscribe(&self) -> impl Stream<Item = BlockEvent> + Send + 'static {
        let start = (self.events.subscribe(), self.closed.subscribe());
        futures_util::stream::unfold(start, |(mut rx, mut closed)| async move {
            let received = tokio::select! {
                received = rx.recv() => received,
                _ = closed.wait_for(|closed| *closed) => return None,
            };
            match received {
                Ok(event) => Some((event, (rx, closed))),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "dropped a block-event subscriber that fell behind");
                    None
                }
                Err(broadcast::error::RecvError::Closed) => None,
            }
        })
    }
}

#[utoipa::path(
    get,
    path = "/v1/events",
    tag = "console",
    summary = "Server-sent events: one `block` event per committed block, its data a BlockEvent (height, hash, app_hash, txs, time_ms). A client more than 64 blocks behind is disconnected and should reconnect",
    responses((status = 200, description = "An event stream", content_type = "text/event-stream", body = BlockEvent))
)]
pub(crate) async fn events(
    State(s): State<ApiState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    use futures_util::StreamExt;
    let stream = s.console.subscribe().map(|block| {
        let event = Event::default().event("block");
        Ok(event
            .json_data(&block)
            .unwrap_or_else(|e| Event::default().event("error").data(e.to_string())))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
