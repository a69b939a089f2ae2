//! `--registry-auth FILE`: a Docker `config.json` (the content of a Kubernetes
//! `kubernetes.io/dockerconfigjson` Secret): `{"auths": {"HOST": {"auth": base64(user:pass)}}}`,
//! or `username` and `password`, or a `registrytoken` (a bearer token).

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use oci_client::secrets::RegistryAuth;
use serde::Deserialize;
use wp_init_core::source::DOCKER_HUB;

#[derive(Deserialize)]
struct Config {
    #[serde(default)]
    auths: BTreeMap<String, Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    registrytoken: Option<String>,
}

/// The host a key of `auths` names (`https://index.docker.io/v1/` is `index.docker.io`).
fn key_host(key: &str) -> &str {
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    key.split('/').next().unwrap_or(key)
}

/// Whether a key of `auths` is for `registry`.
fn is_for(key: &str, registry: &str) -> bool {
    let host = key_host(key);
    host == registry || (registry == DOCKER_HUB && matches!(host, "docker.io" | "index.docker.io"))
}

/// The credentials `file` holds for `registry`; anonymous when it names none.
pub(super) fn for_registry(file: &Path, registry: &str) -> Result<RegistryAuth, String> {
    let shown = file.display();
    let bytes = std::fs::read(file).map_err(|e| format!("--registry-auth {shown}: {e}"))?;
    let config: Config = serde_json::from_slice(&bytes)
        .map_err(|e| format!("--registry-auth {shown}: not a Docker config.json: {e}"))?;
    let Some(entry) = config
        .auths
        .iter()
        .find(|(k, _)| is_for(k, registry))
        .map(|(_, e)| e)
    else {
        return Ok(RegistryAuth::Anonymous);
    };
    let bad = |why: &str| format!("--registry-auth {shown}: the entry for {registry}: {why}");
    if let Some(token) = &entry.registrytoken {
        return Ok(RegistryAuth::Bearer(token.clone()));
    }
    if let (Some(user), Some(pass)) = (&entry.username, &entry.password) {
        return Ok(RegistryAuth::Basic(user.clone(), pass.clone()));
    }
    let Some(auth) = &entry.auth else {
        return Err(bad("neither auth nor username and password"));
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(auth.trim())
        .map_err(|e| bad(&format!("auth is not base64: {e}")))?;
    let text = String::from_utf8(decoded).map_err(|_| bad("auth is not UTF-8"))?;
    match text.split_once(':') {
        Some((user, pass)) => Ok(RegistryAuth::Basic(user.to_owned(), pass.to_owned())),
        None => Err(bad("auth is not base64 of user:password")),
    }
}
