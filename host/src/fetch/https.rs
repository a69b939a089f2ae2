//! `https://` release archives: downloaded into the cache or scratch, checked against
//! `--sha256`; a partial download left in the cache is resumed with a Range request.

use std::fs::File;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_RANGE, RANGE};

use super::store::{Part, Store};
use super::tls::{CONNECT_TIMEOUT, READ_TIMEOUT, chain, roots, runtime};

/// The archive at `url`, verified against `digest`: from the cache when it holds it,
/// else downloaded (at most `max_bytes`).
pub(super) fn download(
    url: &str,
    digest: &str,
    max_bytes: u64,
    store: &Store<'_>,
) -> Result<File, String> {
    if let Some(file) = store.lookup(digest, None)? {
        return Ok(file);
    }
    let client = client()?;
    let mut part = store.part(digest)?;
    let got = runtime()?.block_on(fill(&client, url, &mut part, max_bytes));
    match got {
        Ok(()) => part.finish(None),
        Err(e) => {
            part.abandon()?;
            Err(e)
        }
    }
}

/// An HTTPS-only client on the built-in roots, no proxy.
pub(super) fn client() -> Result<reqwest::Client, String> {
    let mut certs = Vec::new();
    for der in roots()? {
        certs.push(reqwest::Certificate::from_der(&der).map_err(|e| chain(&e))?);
    }
    reqwest::Client::builder()
        .tls_certs_only(certs)
        .https_only(true)
        .no_proxy()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .build()
        .map_err(|e| chain(&e))
}

/// Requests what `part` lacks and appends it.
async fn fill(
    client: &reqwest::Client,
    url: &str,
    part: &mut Part<'_>,
    max_bytes: u64,
) -> Result<(), String> {
    let offset = part.len();
    let mut request = client.get(url);
    if offset > 0 {
        request = request.header(RANGE, format!("bytes={offset}-"));
    }
    let mut response = request.send().await.map_err(|e| chain(&e.without_url()))?;
    match response.status() {
        StatusCode::PARTIAL_CONTENT if offset > 0 => {
            let range = response
                .headers()
                .get(CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !range.starts_with(&format!("bytes {offset}-")) {
                part.restart()?;
                return Err(format!(
                    "the server answered a resume with {range:?}; run again"
                ));
            }
        }
        // Nothing left to ask for: what the partial file holds is checked as it is.
        StatusCode::RANGE_NOT_SATISFIABLE if offset > 0 => return Ok(()),
        StatusCode::OK => part.restart()?,
        status => return Err(format!("HTTP {status}")),
    }
    if let Some(len) = response.content_length()
        && part.len().saturating_add(len) > max_bytes
    {
        return Err(format!("{len} bytes, more than the {max_bytes} allowed"));
    }
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("after {} bytes: {}", part.len(), chain(&e.without_url())))?
    {
        part.write(&chunk)?;
        if part.len() > max_bytes {
            part.restart()?;
            return Err(format!("more than the {max_bytes} bytes allowed"));
        }
    }
    Ok(())
}
