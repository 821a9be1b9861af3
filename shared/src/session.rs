//! Credentials for a fleet target reached through a role: `sts:AssumeRole`, once per credential
//! lifetime, shared by every client of the target and kept across warm invocations.

use crate::arn::Arn;
use crate::error::CallFailure;
use aws_credential_types::provider::{self, error::CredentialsError, future, ProvideCredentials};
use aws_credential_types::Credentials;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The operation that gets a target's credentials, as reports name it.
pub const ASSUME_ROLE: &str = "AssumeRole";
/// Credentials with less than this left are renewed before a run uses them: a run may last
/// Lambda's 15 minutes, and a target's calls must not outlive its credentials mid-run.
pub const RENEW_BEFORE: Duration = Duration::from_secs(5 * 60);
/// Longest `RoleSessionName` STS accepts [STS API reference: AssumeRole].
const SESSION_NAME_LIMIT: usize = 64;

/// Assumes one role for one target, caching what STS returns.
#[derive(Debug)]
pub struct RoleSession {
    sts: aws_sdk_sts::Client,
    role: Arn,
    session_name: String,
    external_id: Option<String>,
    /// Held across the STS call, so concurrent first calls of a target wait for one AssumeRole.
    cached: tokio::sync::Mutex<Option<Credentials>>,
}

/// Why a target's role could not be assumed.
#[derive(Debug, thiserror::Error)]
#[error("AssumeRole of {role} failed: {failure}")]
pub struct RoleNotAssumed {
    /// The role.
    pub role: String,
    /// STS's answer.
    pub failure: CallFailure,
}

impl RoleSession {
    /// A session of `role` for `function`, through `sts` (the function's own credentials).
    pub fn new(
        sts: aws_sdk_sts::Client,
        role: Arn,
        function: &str,
        external_id: Option<String>,
    ) -> Self {
        Self {
            sts,
            role,
            session_name: session_name(function),
            external_id,
            cached: tokio::sync::Mutex::new(None),
        }
    }

    /// Credentials for the target: the cached ones while they last, else a new AssumeRole.
    pub async fn credentials(&self) -> Result<Credentials, RoleNotAssumed> {
        let mut cached = self.cached.lock().await;
        if let Some(credentials) = cached
            .as_ref()
            .filter(|c| lasts(c.expiry(), SystemTime::now()))
        {
            return Ok(credentials.clone());
        }
        let credentials = self.assume().await.map_err(|failure| RoleNotAssumed {
            role: self.role.to_string(),
            failure,
        })?;
        *cached = Some(credentials.clone());
        Ok(credentials)
    }

    async fn assume(&self) -> Result<Credentials, CallFailure> {
        let out = self
            .sts
            .assume_role()
            .role_arn(self.role.as_str())
            .role_session_name(&self.session_name)
            .set_external_id(self.external_id.clone())
            .send()
            .await
            .map_err(|e| CallFailure::from_sdk(&e))?;
        let granted = out.credentials.ok_or_else(|| CallFailure {
            class: crate::error::ErrorClass::Retryable,
            code: "NoCredentials".to_owned(),
            message: "AssumeRole answered without credentials".to_owned(),
        })?;
        let expiry = SystemTime::try_from(granted.expiration).ok();
        Ok(Credentials::new(
            granted.access_key_id,
            granted.secret_access_key,
            Some(granted.session_token),
            expiry,
            "dr-automation-fleet",
        ))
    }
}

/// Whether credentials expiring at `expiry` still serve a whole run started at `now`.
fn lasts(expiry: Option<SystemTime>, now: SystemTime) -> bool {
    expiry.is_none_or(|at| at.duration_since(now).is_ok_and(|left| left > RENEW_BEFORE))
}

/// `dr-automation-<function>`, cut to STS's limit: CloudTrail in the member account shows which
/// function acted.
fn session_name(function: &str) -> String {
    let mut name = format!("dr-automation-{function}");
    name.truncate(SESSION_NAME_LIMIT);
    name
}

/// A [`RoleSession`] as the SDK's credentials provider of a target's clients.
#[derive(Debug, Clone)]
pub struct SessionCredentials(pub Arc<RoleSession>);

impl ProvideCredentials for SessionCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let result: provider::Result = self
                .0
                .credentials()
                .await
                .map_err(CredentialsError::provider_error);
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sts::operation::assume_role::AssumeRoleOutput;
    use aws_sdk_sts::types::Credentials as StsCredentials;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use aws_smithy_types::DateTime;

    fn granted(expires_in: Duration) -> AssumeRoleOutput {
        let at = SystemTime::now() + expires_in;
        AssumeRoleOutput::builder()
            .credentials(
                StsCredentials::builder()
                    .access_key_id("ASIA234567890123ABCD")
                    .secret_access_key("secret")
                    .session_token("token")
                    .expiration(DateTime::from(at))
                    .build()
                    .unwrap(),
            )
            .build()
    }

    fn session(sts: aws_sdk_sts::Client) -> RoleSession {
        let role = Arn::parse("arn:aws:iam::234567890123:role/member").unwrap();
        RoleSession::new(sts, role, "drs-start-replication", Some("ext".into()))
    }

    #[tokio::test]
    async fn credentials_are_assumed_once_while_they_last() {
        let rule = mock!(aws_sdk_sts::Client::assume_role)
            .match_requests(|r| {
                r.role_session_name() == Some("dr-automation-drs-start-replication")
                    && r.external_id() == Some("ext")
                    && r.role_arn() == Some("arn:aws:iam::234567890123:role/member")
            })
            .then_output(|| granted(Duration::from_secs(3600)));
        let session = session(mock_client!(aws_sdk_sts, RuleMode::MatchAny, [&rule]));
        for _ in 0..3 {
            let c = session.credentials().await.unwrap();
            assert_eq!(c.access_key_id(), "ASIA234567890123ABCD");
            assert_eq!(c.session_token(), Some("token"));
        }
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn credentials_about_to_expire_are_assumed_again() {
        let rule = mock!(aws_sdk_sts::Client::assume_role)
            .then_output(|| granted(Duration::from_secs(60)));
        let session = session(mock_client!(aws_sdk_sts, RuleMode::MatchAny, [&rule]));
        session.credentials().await.unwrap();
        session.credentials().await.unwrap();
        assert_eq!(rule.num_calls(), 2);
    }

    #[tokio::test]
    async fn a_refused_role_says_which_role_and_why() {
        let rule = mock!(aws_sdk_sts::Client::assume_role).then_error(|| {
            aws_sdk_sts::operation::assume_role::AssumeRoleError::generic(
                aws_smithy_types::error::ErrorMetadata::builder()
                    .code("AccessDenied")
                    .message("not authorized to perform sts:AssumeRole")
                    .build(),
            )
        });
        let session = session(mock_client!(aws_sdk_sts, RuleMode::MatchAny, [&rule]));
        let err = session.credentials().await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "AssumeRole of arn:aws:iam::234567890123:role/member failed: AccessDenied: not \
             authorized to perform sts:AssumeRole"
        );
        assert!(!err.failure.is_retryable());
    }

    #[test]
    fn credentials_last_while_more_than_the_renewal_margin_is_left() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let cases = [
            (None, true),
            (Some(now + Duration::from_secs(3600)), true),
            (Some(now + RENEW_BEFORE + Duration::from_secs(1)), true),
            (Some(now + RENEW_BEFORE), false),
            (Some(now), false),
            (Some(now - Duration::from_secs(1)), false),
        ];
        for (expiry, want) in cases {
            assert_eq!(lasts(expiry, now), want, "{expiry:?}");
        }
    }

    #[test]
    fn the_session_name_names_the_function_within_the_sts_limit() {
        assert_eq!(
            session_name("backup-copy-fanout"),
            "dr-automation-backup-copy-fanout"
        );
        assert_eq!(session_name(&"f".repeat(80)).len(), SESSION_NAME_LIMIT);
    }
}
