//! The Wi-Fi hotspots' backhaul: each Wi-Fi hotspot on the air answers the oracles' speed
//! tests (`plexus_agent::bandwidth`, signed with its own key) at its own loopback port and at
//! its link's rate, which the coverage manifest turns into its speed multiplier. A silent
//! hotspot's port answers nothing, so its tests fail.

use plexus_agent::bandwidth::{router, SpeedSigner};
use plexus_radio::city::SimHotspot;
use plexus_radio::{Behaviour, City};
use plexus_types::PublicKey;
use std::collections::BTreeMap;

/// The rate of a slow backhaul: 60 Mbps each way, the speed tiers' ×0.5 (50–75 Mbps down).
pub const SLOW_BACKHAUL_BYTES_PER_SEC: u64 = 60_000_000 / 8;

/// The rate of Wi-Fi hotspot `h`'s link, in bytes a second (`None`: as fast as loopback
/// goes). Every third Wi-Fi hotspot of the city, from its second, is on a slow line; a LoRa
/// hotspot has no speed-tested link.
pub fn link_rate(city: &City, h: &SimHotspot) -> Option<u64> {
    let rank = city
        .hotspots
        .iter()
        .filter(|x| x.kind.radio_kind().is_some())
        .position(|x| x.index == h.index)?;
    (rank % 3 == 1).then_some(SLOW_BACKHAUL_BYTES_PER_SEC)
}

/// Serves the speed tests of every Wi-Fi hotspot of `city` until `stop`; returns each one's
/// endpoint, which it declares on chain.
pub async fn serve(
    city: &City,
    chain_id: &str,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<BTreeMap<PublicKey, String>> {
    let mut endpoints = BTreeMap::new();
    for h in city
        .hotspots
        .iter()
        .filter(|h| h.kind.radio_kind().is_some())
    {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        endpoints.insert(h.public, format!("http://{}", listener.local_addr()?));
        if h.behaviour == Behaviour::Silent {
            // Off the air: the port is closed again.
            continue;
        }
        let app = router(
            link_rate(city, h),
            SpeedSigner {
                key: h.key.clone(),
                chain_id: chain_id.to_string(),
            },
        );
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let stopped = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(stopped)
                .await
            {
                tracing::warn!(error = %e, "a hotspot's speed test server stopped");
            }
        });
    }
    Ok(endpoints)
}
