//! Cold-start behaviour of every function binary, through the Runtime API.

use dr_e2e::{function_binary, FunctionProcess, HarnessError, RuntimeApi};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn bad_configuration_fails_the_cold_start_naming_the_variable() {
    let binary = function_binary("drs-start-replication", "debug").expect("binary built");
    let runtime = RuntimeApi::start("drs-start-replication")
        .await
        .expect("runtime");
    let log = dr_e2e::target_dir().join("e2e-logs/cold-start-bad-config.log");
    let mut process = FunctionProcess::spawn(
        &binary,
        &runtime,
        "http://127.0.0.1:9",
        &[("DRS_SELECT_ALL", "maybe")],
        &log,
    )
    .expect("spawned");
    let err = runtime
        .invoke(&json!({}), Duration::from_secs(20))
        .await
        .expect_err("initialisation fails");
    match err {
        HarnessError::Init(body) => assert!(
            body.contains("configuration DRS_SELECT_ALL: `maybe` is not a boolean"),
            "{body}"
        ),
        other => panic!("expected an init error, got {other}"),
    }
    // The runtime exits after reporting the init error, as on Lambda.
    for _ in 0..100 {
        if process.exited().is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the function kept running after a failed initialisation");
}
