//! What both HTTP clients share: rustls with ring's provider, Mozilla's roots built in (a
//! FROM-scratch image has no CA store) plus the certificates of the PEM bundle
//! `SSL_CERT_FILE` names, and a current-thread runtime to drive them.

use std::time::Duration;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// How long connecting may take.
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a read may wait for bytes.
pub(super) const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// The roots to trust, in DER: Mozilla's, then `SSL_CERT_FILE`'s.
pub(super) fn roots() -> Result<Vec<CertificateDer<'static>>, String> {
    // A second install (another fetch in this process) finds ring's already there.
    let _already = rustls::crypto::ring::default_provider().install_default();
    let mut roots = webpki_root_certs::TLS_SERVER_ROOT_CERTS.to_vec();
    if let Some(path) = cert_file() {
        let shown = std::path::Path::new(&path).display().to_string();
        let pem = std::fs::read(&path).map_err(|e| format!("SSL_CERT_FILE {shown}: {e}"))?;
        let before = roots.len();
        for cert in CertificateDer::pem_slice_iter(&pem) {
            roots.push(cert.map_err(|e| format!("SSL_CERT_FILE {shown}: {e}"))?);
        }
        if roots.len() == before {
            return Err(format!("SSL_CERT_FILE {shown}: no certificate in it"));
        }
    }
    Ok(roots)
}

/// `SSL_CERT_FILE` (the tests, which cannot set the environment of their own process
/// safely, name their CA's bundle through [`super::tests::CERT_FILE`]).
fn cert_file() -> Option<std::ffi::OsString> {
    #[cfg(test)]
    if let Some(path) = super::tests::CERT_FILE.get() {
        return Some(path.clone().into_os_string());
    }
    std::env::var_os("SSL_CERT_FILE")
}

/// A runtime for one fetch's requests.
pub(super) fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the I/O runtime: {e}"))
}

/// An error and its causes, each once (reqwest's and hyper's repeat one another).
pub(super) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.contains(&text) {
            out = format!("{out}: {text}");
        }
        cause = c.source();
    }
    out
}
