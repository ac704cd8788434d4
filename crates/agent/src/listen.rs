//! Where a device's own service (its blob store, its speed test routes) listens on the real
//! network: on the configured address, keeping the port of its last run when the configured
//! port is 0.

use crate::error::AgentError;
use crate::ports::{PortFuture, ServiceHost};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The file in the data directory that remembers the port of the last run.
const PORT_FILE: &str = "service-port";

/// Serves a device's service on a TCP socket at `listen` (the agent's `blob_listen`),
/// remembering its port in `data_dir`: what `plexus agent start` and devnets use.
#[derive(Debug, Clone)]
pub struct TcpServices {
    listen: SocketAddr,
    data_dir: PathBuf,
}

impl TcpServices {
    pub fn new(listen: SocketAddr, data_dir: impl Into<PathBuf>) -> TcpServices {
        TcpServices {
            listen,
            data_dir: data_dir.into(),
        }
    }
}

impl ServiceHost for TcpServices {
    fn serve(
        &self,
        what: &'static str,
        router: axum::Router,
    ) -> PortFuture<'_, Result<String, AgentError>> {
        Box::pin(serve(what, router, self.listen, &self.data_dir))
    }
}

/// Serves `router` at `listen` for as long as the process runs; returns the endpoint the
/// device declares (`http://host:port`).
///
/// With port 0 the agent takes the port it had last time if it is free, so that a restart
/// keeps the endpoint the chain already holds: oracles testing the device meanwhile reach it,
/// rather than an address it left.
async fn serve(
    what: &'static str,
    router: axum::Router,
    listen: SocketAddr,
    data_dir: &Path,
) -> Result<String, AgentError> {
    let port_file = data_dir.join(PORT_FILE);
    let mut previous = None;
    if listen.port() == 0 {
        if let Some(port) = std::fs::read_to_string(&port_file)
            .ok()
            .and_then(|s| s.trim().parse::<u16>().ok())
        {
            let addr = SocketAddr::new(listen.ip(), port);
            previous = tokio::net::TcpListener::bind(addr).await.ok();
        }
    }
    let listener = match previous {
        Some(l) => l,
        None => tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|source| AgentError::Listen {
                addr: listen,
                source,
            })?,
    };
    let addr = listener.local_addr().map_err(|source| AgentError::Listen {
        addr: listen,
        source,
    })?;
    if listen.port() == 0 {
        if let Err(e) =
            plexus_durable::write_durably(&port_file, addr.port().to_string().as_bytes())
        {
            tracing::warn!(file = %port_file.display(), error = %e, "cannot remember the service port");
        }
    }
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, service = what, "the service stopped");
        }
    });
    tracing::info!(%addr, service = what, "serving");
    let host = if addr.ip().is_unspecified() {
        SocketAddr::new([127, 0, 0, 1].into(), addr.port())
    } else {
        addr
    };
    Ok(format!("http://{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_tcp_service_answers_at_the_endpoint_it_returns_and_remembers_its_port() {
        let dir = tempfile::tempdir().unwrap();
        let host = TcpServices::new(([127, 0, 0, 1], 0).into(), dir.path());
        let router = axum::Router::new().route("/ping", axum::routing::get(|| async { "pong" }));
        let endpoint = host.serve("test", router).await.unwrap();
        let answer = reqwest::get(format!("{endpoint}/ping"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(answer, "pong");
        let port = std::fs::read_to_string(dir.path().join(PORT_FILE)).unwrap();
        assert_eq!(endpoint, format!("http://127.0.0.1:{}", port.trim()));
    }
}
