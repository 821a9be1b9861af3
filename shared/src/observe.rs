//! What every function's observe step shares: how a failed read stops a run, and reading every
//! page of a paginated operation.

use crate::error::CallFailure;
use aws_smithy_async::future::pagination_stream::PaginationStream;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// A read that failed, so the run stops before planning: which operation, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} failed: {failure}")]
pub struct ObserveError {
    /// The AWS operation that failed, e.g. `DescribeSourceServers`.
    pub operation: &'static str,
    /// Its failure, classified.
    pub failure: CallFailure,
}

impl ObserveError {
    /// A failure of `operation`.
    pub fn new(operation: &'static str, failure: CallFailure) -> Self {
        Self { operation, failure }
    }

    /// Maps an SDK error of `operation`, for `map_err`.
    pub fn of<E>(operation: &'static str) -> impl Fn(SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        move |err| Self::new(operation, CallFailure::from_sdk(&err))
    }
}

/// Reads every page of `operation`, following its token to the end, and keeps the items that
/// `items` takes from each page. The first failed page fails the read.
pub async fn every_page<O, E, T, I>(
    operation: &'static str,
    mut pages: PaginationStream<Result<O, SdkError<E, HttpResponse>>>,
    mut items: impl FnMut(O) -> I,
) -> Result<Vec<T>, ObserveError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    I: IntoIterator<Item = T>,
{
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        out.extend(items(page.map_err(ObserveError::of(operation))?));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorClass;
    use aws_sdk_sns::operation::list_topics::{ListTopicsError, ListTopicsOutput};
    use aws_sdk_sns::types::Topic;
    use aws_sdk_sns::Client as Sns;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    fn page(arns: &[&str], next: Option<&str>) -> ListTopicsOutput {
        ListTopicsOutput::builder()
            .set_topics(Some(
                arns.iter()
                    .map(|a| Topic::builder().topic_arn(*a).build())
                    .collect(),
            ))
            .set_next_token(next.map(str::to_owned))
            .build()
    }

    async fn topics(sns: &Sns) -> Result<Vec<String>, ObserveError> {
        every_page(
            "ListTopics",
            sns.list_topics().into_paginator().send(),
            |page| {
                page.topics
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|t| t.topic_arn)
            },
        )
        .await
    }

    #[tokio::test]
    async fn every_page_follows_the_token_to_the_end() {
        let first = mock!(Sns::list_topics)
            .match_requests(|r| r.next_token().is_none())
            .then_output(|| page(&["a", "b"], Some("t-1")));
        let second = mock!(Sns::list_topics)
            .match_requests(|r| r.next_token() == Some("t-1"))
            .then_output(|| page(&["c"], None));
        let sns = mock_client!(aws_sdk_sns, RuleMode::MatchAny, [&first, &second]);
        assert_eq!(
            topics(&sns).await,
            Ok(vec!["a".into(), "b".into(), "c".into()])
        );
    }

    #[tokio::test]
    async fn a_failed_page_names_the_operation() {
        let denied = mock!(Sns::list_topics).then_error(|| {
            ListTopicsError::AuthorizationErrorException(
                aws_sdk_sns::types::error::AuthorizationErrorException::builder()
                    .message("not allowed")
                    .build(),
            )
        });
        let sns = mock_client!(aws_sdk_sns, RuleMode::MatchAny, [&denied]);
        let err = topics(&sns).await.unwrap_err();
        assert_eq!(err.operation, "ListTopics");
        assert_eq!(err.failure.class, ErrorClass::Fatal);
        assert!(err.to_string().starts_with("ListTopics failed: "), "{err}");
    }
}
