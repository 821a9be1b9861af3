//! SDK configuration, loaded once per cold start and shared by every client a function builds.

use aws_config::{BehaviorVersion, SdkConfig};
use std::path::Path;

/// Where Linux distributions keep their CA bundle: Amazon Linux 2023 (the Lambda
/// `provided.al2023` runtime) first, then Debian and Ubuntu, then Alpine and others.
const CA_BUNDLES: [&str; 3] = [
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/ssl/cert.pem",
];

/// Loads the shared SDK configuration from the environment.
///
/// Region, credentials, retry attempts (`AWS_MAX_ATTEMPTS`) and endpoints (`AWS_ENDPOINT_URL`,
/// `AWS_ENDPOINT_URL_<SERVICE>`) all come from the standard AWS environment, so local runs against
/// an emulator need no special code.
pub async fn load_sdk_config() -> SdkConfig {
    point_trust_store_at_the_system_bundle();
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// The SDK's trust store reads the system CA bundle *and* every file of the certificate
/// directory (on Amazon Linux the directory holds the bundle again), which is most of a cold
/// start. The bundle alone holds the same roots, so when neither `SSL_CERT_FILE` nor
/// `SSL_CERT_DIR` is set, `SSL_CERT_FILE` is set to it; the SDK then reads that one file.
fn point_trust_store_at_the_system_bundle() {
    if std::env::var_os("SSL_CERT_FILE").is_some() || std::env::var_os("SSL_CERT_DIR").is_some() {
        return;
    }
    if let Some(bundle) = first_bundle(CA_BUNDLES.iter().map(Path::new)) {
        // Called at cold start, before the runtime or the SDK start any other thread.
        std::env::set_var("SSL_CERT_FILE", bundle);
    }
}

/// The first path that is a non-empty file.
fn first_bundle<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Option<&'a Path> {
    paths
        .into_iter()
        .find(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.len() > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_non_empty_bundle_wins() {
        let dir = std::env::temp_dir().join(format!("dr-core-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let empty = dir.join("empty.pem");
        let bundle = dir.join("bundle.pem");
        std::fs::write(&empty, b"").expect("written");
        std::fs::write(&bundle, b"-----BEGIN CERTIFICATE-----").expect("written");
        let missing = dir.join("missing.pem");
        let candidates = [
            missing.as_path(),
            dir.as_path(),
            empty.as_path(),
            bundle.as_path(),
        ];
        assert_eq!(first_bundle(candidates), Some(bundle.as_path()));
        assert_eq!(first_bundle([missing.as_path(), empty.as_path()]), None);
        std::fs::remove_dir_all(&dir).expect("cleaned up");
    }
}
