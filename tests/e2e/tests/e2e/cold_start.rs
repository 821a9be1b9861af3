//! Cold-start behaviour of every function binary, through the Runtime API.

use dr_e2e::cold_start_error;

#[tokio::test]
async fn bad_configuration_fails_the_cold_start_naming_the_variable() {
    let body = cold_start_error(
        "drs-start-replication",
        &[("DRS_SELECT_ALL", "maybe")],
        "cold-start-bad-config",
    )
    .await;
    assert!(
        body.contains("configuration DRS_SELECT_ALL: `maybe` is not a boolean"),
        "{body}"
    );
}
