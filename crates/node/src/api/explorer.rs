//! A minimal explorer: the chain's status and its latest blocks, as one HTML page.

use super::blocks::recent_blocks;
use super::ApiState;
use axum::extract::State;
use axum::response::Html;

#[utoipa::path(
    get,
    path = "/",
    tag = "node",
    summary = "The explorer (HTML)",
    responses((status = 200, description = "OK", content_type = "text/html", body = String))
)]
pub(crate) async fn index(State(s): State<ApiState>) -> Html<String> {
    let chain = s.chain.clone();
    let page = tokio::task::spawn_blocking(move || {
        let st = chain.status();
        let mut rows = String::new();
        for b in recent_blocks(&chain, 20) {
            rows.push_str(&format!(
                "<tr><td><a href=\"/v1/blocks/{h}\">{h}</a></td><td>{t}</td><td><code>{hash}</code></td><td><code>{app}</code></td></tr>",
                h = b.height,
                t = b.txs.len(),
                hash = &b.hash.to_hex()[..16],
                app = b.app_hash.map(|a| a.to_hex()[..16].to_string()).unwrap_or_default(),
            ));
        }
        format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>Plexus explorer</title>\
             <meta http-equiv=\"refresh\" content=\"2\">\
             <style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:2px 12px;text-align:left}}</style></head>\
             <body><h1>Plexus · {chain_id}</h1>\
             <p>Height <b>{height}</b> · {txs} transactions committed · {pending} pending · app hash <code>{app}</code></p>\
             <table><tr><th>height</th><th>txs</th><th>block hash</th><th>app hash</th></tr>{rows}</table>\
             <p><a href=\"/v1/openapi.json\">API</a> · <a href=\"/metrics\">metrics</a></p></body></html>",
            chain_id = st.chain_id,
            height = st.height,
            txs = st.txs_committed,
            pending = st.mempool_size,
            app = st.app_hash,
        )
    })
    .await
    .unwrap_or_else(|e| format!("explorer failed: {e}"));
    Html(page)
}
