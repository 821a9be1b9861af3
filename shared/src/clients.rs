//! SDK configuration, loaded once per cold start and shared by every client a function builds.

use crate::config::ConfigError;
use crate::fleet::{Access, Fleet, Target};
use crate::session::{RoleNotAssumed, RoleSession, SessionCredentials};
use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::ffi::OsString;
use std::path::Path;
use std::sync::Arc;

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
///
/// Every client built from it shares one HTTPS client, so one connection pool and one trust
/// store serve them all, built at the first call (`ConnectOnFirstCall`).
pub async fn load_sdk_config() -> SdkConfig {
    point_trust_store_at_the_system_bundle();
    let loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(SharedHttpClient::new(ConnectOnFirstCall(https_client())));
    let loader = if has_environment_credentials(|name| std::env::var_os(name)) {
        loader.credentials_provider(EnvironmentVariableCredentialsProvider::new())
    } else {
        loader
    };
    // Likewise the region: the default chain reads `AWS_REGION` first, so with it set, only
    // the chain's construction (profile and instance-metadata providers) is saved.
    let loader = match std::env::var("AWS_REGION") {
        Ok(region) if !region.is_empty() => loader.region(Region::new(region)),
        _ => loader,
    };
    loader.load().await
}

/// One fleet target with its clients, built once per cold start and reused by every invocation.
#[derive(Debug)]
pub struct Connected<C> {
    /// The target.
    pub target: Target,
    /// Its clients.
    pub clients: C,
    /// The role session its clients' credentials come from; none for the home account.
    session: Option<Arc<RoleSession>>,
}

impl<C> Connected<C> {
    /// A target reached with `clients`, authorised by `session` when it is reached through a
    /// role.
    pub fn new(target: Target, clients: C, session: Option<Arc<RoleSession>>) -> Self {
        Self {
            target,
            clients,
            session,
        }
    }

    /// The home target, account and region unknown, reached with `clients`.
    pub fn home(clients: C) -> Self {
        Self::new(Target::home(None, None), clients, None)
    }

    /// Makes sure the target's credentials are at hand: assumes its role when the cached
    /// credentials are missing or ending, so a refused role stops this target before any call.
    pub async fn ready(&self) -> Result<(), RoleNotAssumed> {
        match &self.session {
            Some(session) => session.credentials().await.map(|_| ()),
            None => Ok(()),
        }
    }
}

/// The longest a run-history write may take, retries included.
pub const HISTORY_WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// An S3 client from the shared configuration. With an endpoint override
/// (`AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`, read through `var`) it addresses buckets in the
/// path (`http://host/bucket/key`), since a local endpoint has no per-bucket host names; on AWS
/// it keeps virtual-hosted addressing, which S3 recommends ["Virtual hosting of general purpose
/// buckets", Amazon S3].
pub fn s3_client(sdk: &SdkConfig, var: impl Fn(&str) -> Option<OsString>) -> aws_sdk_s3::Client {
    let overridden = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
        .iter()
        .any(|name| var(name).is_some_and(|v| !v.is_empty()));
    // A report is small: a write that takes longer than this has failed, and must not hold the
    // run until the Lambda timeout, which would lose the run's metrics and result with it.
    let timeout = aws_smithy_types::timeout::TimeoutConfig::builder()
        .operation_timeout(HISTORY_WRITE_TIMEOUT)
        .build();
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(overridden)
        .timeout_config(timeout)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// Connects every target of `fleet` for `function`: each target's clients are built by `connect`
/// from the shared configuration in the target's region, with its role's credentials when it
/// has one. No call is made here: a role is first assumed when its target is first used.
pub fn connect_fleet<C>(
    fleet: &Fleet,
    function: &str,
    sdk: &SdkConfig,
    connect: impl Fn(&SdkConfig) -> C,
) -> Result<Vec<Connected<C>>, ConfigError> {
    // One STS client, with the function's own credentials, assumes every role.
    let sts = aws_sdk_sts::Client::new(sdk);
    fleet
        .targets()
        .iter()
        .map(|target| {
            let mut conf = sdk.to_builder();
            if let Some(region) = &target.region {
                conf.set_region(Some(Region::new(region.clone())));
            }
            let session = match &target.access {
                Access::Own => None,
                Access::Role(role) => {
                    let session = Arc::new(RoleSession::new(
                        sts.clone(),
                        role.role_for(function)?,
                        function,
                        role.external_id.clone(),
                    ));
                    conf.set_credentials_provider(Some(SharedCredentialsProvider::new(
                        SessionCredentials(session.clone()),
                    )));
                    Some(session)
                }
            };
            Ok(Connected::new(
                target.clone(),
                connect(&conf.build()),
                session,
            ))
        })
        .collect()
}

/// Whether the environment holds an access key, as it always does on Lambda.
///
/// The default credentials chain tries the environment first, so with a key there it would
/// pick the same credentials; building the chain (profile, SSO, web identity with its own STS
/// client, container and instance metadata) would only cost cold-start time.
fn has_environment_credentials(var: impl Fn(&str) -> Option<OsString>) -> bool {
    ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
        .iter()
        .all(|name| var(name).is_some_and(|v| !v.is_empty()))
}

/// The SDK's default HTTPS client: rustls with aws-lc, the connector settings and sleep of the
/// calling client, and the standard proxy variables.
fn https_client() -> SharedHttpClient {
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector =
            ConnectorBuilder::default().tls_provider(Provider::Rustls(CryptoMode::AwsLc));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

/// An HTTP client whose TLS connector is built when the first request needs it.
///
/// The SDK's client builds and discards a whole TLS connector (parsing every root certificate)
/// each time a service client is created, to load the trust store early; with two service
/// clients that is two throw-away connectors in every cold start, then one more per client at
/// its first call. Built once, at the first call, the connector is cached and shared by every
/// client, and an invocation that makes no call (a skipped or rejected event) never builds it.
#[derive(Debug)]
struct ConnectOnFirstCall(SharedHttpClient);

impl HttpClient for ConnectOnFirstCall {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn validate_final_config(
        &self,
        components: &RuntimeComponents,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.validate_final_config(components, cfg)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
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
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// An HTTP client that counts the SDK's start-up validations, so a test can see whether
    /// creating a service client built a connector.
    #[derive(Debug)]
    struct CountingClient {
        validations: Arc<AtomicUsize>,
        inner: SharedHttpClient,
    }

    impl HttpClient for CountingClient {
        fn http_connector(
            &self,
            settings: &HttpConnectorSettings,
            components: &RuntimeComponents,
        ) -> SharedHttpConnector {
            self.inner.http_connector(settings, components)
        }

        fn validate_base_client_config(
            &self,
            _: &RuntimeComponentsBuilder,
            _: &ConfigBag,
        ) -> Result<(), BoxError> {
            self.validations.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    fn sns_client_with(http: SharedHttpClient) -> aws_sdk_sns::Client {
        let conf = aws_sdk_sns::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .http_client(http)
            .build();
        aws_sdk_sns::Client::from_conf(conf)
    }

    #[test]
    fn creating_a_client_builds_no_connector() {
        let counting = |validations: &Arc<AtomicUsize>| CountingClient {
            validations: validations.clone(),
            inner: https_client(),
        };
        // Control: the SDK validates (for its default client: builds a connector) per client.
        let direct = Arc::new(AtomicUsize::new(0));
        sns_client_with(SharedHttpClient::new(counting(&direct)));
        assert_eq!(direct.load(Ordering::SeqCst), 1);

        let wrapped = Arc::new(AtomicUsize::new(0));
        let shared = SharedHttpClient::new(ConnectOnFirstCall(SharedHttpClient::new(counting(
            &wrapped,
        ))));
        sns_client_with(shared.clone());
        sns_client_with(shared);
        assert_eq!(wrapped.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn environment_credentials_need_both_halves_of_the_key() {
        let cases: [(&[(&str, &str)], bool); 5] = [
            (
                &[
                    ("AWS_ACCESS_KEY_ID", "AKIA"),
                    ("AWS_SECRET_ACCESS_KEY", "s"),
                ],
                true,
            ),
            (&[("AWS_ACCESS_KEY_ID", "AKIA")], false),
            (&[("AWS_SECRET_ACCESS_KEY", "s")], false),
            (
                &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "s")],
                false,
            ),
            (&[], false),
        ];
        for (vars, want) in cases {
            let var = |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| OsString::from(v))
            };
            assert_eq!(has_environment_credentials(var), want, "{vars:?}");
        }
    }

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
