//! SMS through aws-sdk-sms.

use crate::common::{assert_error, Env};
use aws_sdk_sms::types::{LicenseType, ReplicationJobState, ReplicationRunState};
use aws_smithy_types::DateTime;
use dr_emulator::Fixture;

const ERP_APP: &str = "s-5a1c0e7f";
const ERP_DB: &str = "s-5a1c0e80";
const WEB_LINUX: &str = "s-5a1c0e81";
const FAILS_FIVE: &str = "s-5a1c0e82";
const FAILS_THREE: &str = "s-5a1c0e83";
const CANNOT: &str = "s-5a1c0e84";

fn now() -> DateTime {
    DateTime::from(std::time::SystemTime::now())
}

async fn create(env: &Env, server: &str, frequency: Option<i32>, run_once: bool) -> String {
    env.sms()
        .create_replication_job()
        .server_id(server)
        .seed_replication_time(now())
        .set_frequency(frequency)
        .run_once(run_once)
        .license_type(LicenseType::Byol)
        .send()
        .await
        .expect("create")
        .replication_job_id()
        .expect("job id")
        .to_owned()
}

async fn job(env: &Env, id: &str) -> aws_sdk_sms::types::ReplicationJob {
    env.sms()
        .get_replication_jobs()
        .replication_job_id(id)
        .send()
        .await
        .expect("jobs")
        .replication_job_list()
        .first()
        .cloned()
        .expect("the job")
}

/// The state of a replication job.
async fn job_state(env: &Env, id: &str) -> ReplicationJobState {
    job(env, id).await.state().cloned().expect("job state")
}

#[tokio::test]
async fn get_servers_lists_the_catalog_with_each_vms_details() {
    let env = Env::new(Fixture::demo()).await;
    let out = env.sms().get_servers().send().await.expect("servers");
    assert_eq!(out.server_list().len(), 6);
    assert_eq!(
        out.server_catalog_status().map(|s| s.as_str()),
        Some("AVAILABLE")
    );
    let s = &out.server_list()[0];
    assert_eq!(s.server_id(), Some(ERP_APP));
    assert_eq!(s.server_type().map(|t| t.as_str()), Some("VIRTUAL_MACHINE"));
    let vm = s.vm_server().expect("vm");
    assert_eq!(vm.vm_name(), Some("erp-app-01"));
    assert_eq!(vm.vm_manager_type().map(|t| t.as_str()), Some("VSPHERE"));
    assert_eq!(
        vm.vm_server_address().and_then(|a| a.vm_id()),
        Some("vm-1001")
    );
}

#[tokio::test]
async fn get_servers_pages_by_max_results() {
    let env = Env::new(Fixture::demo()).await;
    let paged = env.sms().get_servers().max_results(4).send().await;
    let paged = paged.expect("page");
    assert_eq!(paged.server_list().len(), 4);
    assert!(paged.next_token().is_some());
}

#[tokio::test]
async fn a_catalog_server_names_its_live_replication_job() {
    let env = Env::new(Fixture::demo()).await;
    let id = create(&env, ERP_APP, Some(12), false).await;
    let out = env.sms().get_servers().send().await.expect("servers");
    assert_eq!(out.server_list()[0].replication_job_id(), Some(id.as_str()));
    assert_eq!(
        out.server_list()[0].replication_job_terminated(),
        Some(false)
    );
}

#[tokio::test]
async fn create_replication_job_takes_every_option() {
    let env = Env::new(Fixture::demo()).await;
    let id = env
        .sms()
        .create_replication_job()
        .server_id(ERP_APP)
        .seed_replication_time(now())
        .frequency(6)
        .run_once(false)
        .license_type(LicenseType::Aws)
        .role_name("sms-replication")
        .description("ERP application server")
        .number_of_recent_amis_to_keep(3)
        .encrypted(true)
        .kms_key_id("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
        .send()
        .await
        .expect("create")
        .replication_job_id()
        .expect("id")
        .to_owned();
    assert!(id.starts_with("sms-job-"));
    let j = job(&env, &id).await;
    assert_eq!(j.server_id(), Some(ERP_APP));
    assert_eq!(j.frequency(), Some(6));
    assert_eq!(j.run_once(), Some(false));
    assert_eq!(j.license_type(), Some(&LicenseType::Aws));
    assert_eq!(j.role_name(), Some("sms-replication"));
    assert_eq!(j.description(), Some("ERP application server"));
    assert_eq!(j.number_of_recent_amis_to_keep(), Some(3));
    assert_eq!(j.encrypted(), Some(true));
    assert!(j.kms_key_id().is_some());
    assert_eq!(j.state(), Some(&ReplicationJobState::Pending));
    assert!(j.seed_replication_time().is_some());
    assert!(j.next_replication_run_start_time().is_some());
    assert_eq!(j.vm_server().and_then(|v| v.vm_name()), Some("erp-app-01"));
}

#[tokio::test]
async fn create_replication_job_errors() {
    let env = Env::new(Fixture::demo()).await;
    let base = |server: &str| {
        env.sms()
            .create_replication_job()
            .server_id(server)
            .seed_replication_time(now())
            .frequency(12)
    };
    let far = DateTime::from_secs(now().secs() + 31 * 86_400);
    let cases = [
        (
            base(ERP_APP).seed_replication_time(far),
            "InvalidParameterException",
        ),
        (
            base(ERP_APP).kms_key_id("alias/sms"),
            "InvalidParameterException",
        ),
        (
            base(WEB_LINUX).license_type(LicenseType::Aws),
            "InvalidParameterException",
        ),
        (base(ERP_APP).frequency(48), "InvalidParameterException"),
        (base(CANNOT), "ServerCannotBeReplicatedException"),
        (base("s-99999999"), "InvalidParameterException"),
    ];
    for (request, expected) in cases {
        let err = request.send().await.expect_err(expected);
        assert_error(&err, expected, 400);
    }
    create(&env, ERP_APP, Some(12), false).await;
    let err = base(ERP_APP).send().await.expect_err("already exists");
    assert_error(&err, "ReplicationJobAlreadyExistsException", 400);
    assert!(err
        .into_service_error()
        .is_replication_job_already_exists_exception());
}

/// The states of a job's replication runs, newest first.
async fn run_states(env: &Env, id: &str) -> Vec<ReplicationRunState> {
    env.sms()
        .get_replication_runs()
        .replication_job_id(id)
        .send()
        .await
        .expect("runs")
        .replication_run_list()
        .iter()
        .filter_map(|r| r.state().cloned())
        .collect()
}

#[tokio::test]
async fn a_new_job_runs_its_seed_run_first() {
    let env = Env::new(Fixture::demo()).await;
    let id = create(&env, ERP_APP, Some(12), false).await;
    env.emulator.advance(1);
    let j = job(&env, &id).await;
    assert_eq!(j.state(), Some(&ReplicationJobState::Active));
    assert_eq!(
        j.replication_run_list()[0].state(),
        Some(&ReplicationRunState::Active)
    );
}

#[tokio::test]
async fn a_completed_seed_run_leaves_an_ami_and_schedules_the_next_run() {
    let env = Env::new(Fixture::demo()).await;
    let id = create(&env, ERP_APP, Some(12), false).await;
    env.emulator.advance(2);
    let j = job(&env, &id).await;
    assert!(j.latest_ami_id().is_some_and(|a| a.starts_with("ami-")));
    assert_eq!(
        run_states(&env, &id).await,
        vec![ReplicationRunState::Pending, ReplicationRunState::Completed]
    );
}

/// Starts an on-demand run of job `id`.
async fn on_demand(
    env: &Env,
    id: &str,
) -> Result<
    aws_sdk_sms::operation::start_on_demand_replication_run::StartOnDemandReplicationRunOutput,
    aws_sdk_sms::error::SdkError<
        aws_sdk_sms::operation::start_on_demand_replication_run::StartOnDemandReplicationRunError,
    >,
> {
    env.sms()
        .start_on_demand_replication_run()
        .replication_job_id(id)
        .description("test")
        .send()
        .await
}

/// A recurring job whose seed run has completed.
async fn seeded_job(env: &Env) -> String {
    let id = create(env, ERP_APP, Some(12), false).await;
    env.emulator.advance(2);
    id
}

#[tokio::test]
async fn an_on_demand_run_is_refused_while_a_run_is_active() {
    let env = Env::new(Fixture::demo()).await;
    let id = seeded_job(&env).await;
    let run = on_demand(&env, &id).await.expect("first on-demand run");
    assert!(run
        .replication_run_id()
        .is_some_and(|r| r.starts_with("sms-run-")));
    env.emulator.advance(1);
    let err = on_demand(&env, &id).await.expect_err("a run is active");
    assert_error(&err, "InvalidParameterException", 400);
}

// StartOnDemandReplicationRun limits on-demand runs per 24-hour period; the SMS console and CLI
// guides put it at two per job (sources in the emulator README).
#[tokio::test]
async fn on_demand_runs_are_limited_to_two_per_24_hours() {
    let env = Env::new(Fixture::demo()).await;
    let id = seeded_job(&env).await;
    on_demand(&env, &id).await.expect("first on-demand run");
    env.emulator.advance(2);
    on_demand(&env, &id).await.expect("second on-demand run");
    env.emulator.advance(2);
    let err = on_demand(&env, &id).await.expect_err("third within 24 h");
    assert_error(&err, "ReplicationRunLimitExceededException", 400);
    env.emulator.advance_time(86_401, 0);
    on_demand(&env, &id).await.expect("a day later");
}

#[tokio::test]
async fn three_failed_runs_pause_a_recurring_job_and_a_run_resumes_it() {
    let env = Env::new(Fixture::demo()).await;
    let id = create(&env, FAILS_THREE, Some(1), false).await;
    env.emulator.advance(2);
    let j = job(&env, &id).await;
    assert_eq!(j.state(), Some(&ReplicationJobState::Failing));
    for _ in 0..2 {
        env.emulator.advance_time(3600, 2);
    }
    let j = job(&env, &id).await;
    assert_eq!(j.state(), Some(&ReplicationJobState::PausedOnFailure));
    assert!(j
        .status_message()
        .is_some_and(|m| m.contains("3 consecutive")));
    let failed = j
        .replication_run_list()
        .iter()
        .filter(|r| r.state() == Some(&ReplicationRunState::Failed))
        .count();
    assert_eq!(failed, 3);
    // Paused: no more automatic runs, whatever the clock does.
    env.emulator.advance_time(7200, 3);
    assert_eq!(
        job_state(&env, &id).await,
        ReplicationJobState::PausedOnFailure
    );

    env.sms()
        .start_on_demand_replication_run()
        .replication_job_id(&id)
        .send()
        .await
        .expect("resume");
    assert_eq!(job_state(&env, &id).await, ReplicationJobState::Active);
    env.emulator.advance(2);
    let j = job(&env, &id).await;
    assert_eq!(j.state(), Some(&ReplicationJobState::Active));
    assert!(j.latest_ami_id().is_some());
}

#[tokio::test]
async fn a_new_start_time_resumes_a_paused_job() {
    let env = Env::new(Fixture::demo()).await;
    let id = create(&env, FAILS_FIVE, Some(1), false).await;
    env.emulator.advance(2);
    for _ in 0..2 {
        env.emulator.advance_time(3600, 2);
    }
    assert_eq!(
        job_state(&env, &id).await,
        ReplicationJobState::PausedOnFailure
    );
    let next = DateTime::from_secs(now().secs() + 4 * 3600);
    env.sms()
        .update_replication_job()
        .replication_job_id(&id)
        .next_replication_run_start_time(next)
        .frequency(2)
        .send()
        .await
        .expect("update");
    let j = job(&env, &id).await;
    assert_eq!(j.state(), Some(&ReplicationJobState::Active));
    assert_eq!(j.frequency(), Some(2));
    assert!(j
        .next_replication_run_start_time()
        .is_some_and(|t| t.secs() >= next.secs()));
    let err = env
        .sms()
        .update_replication_job()
        .replication_job_id("sms-job-00000000000000000")
        .frequency(2)
        .send()
        .await
        .expect_err("unknown job");
    assert_error(&err, "ReplicationJobNotFoundException", 400);
}

#[tokio::test]
async fn a_scheduled_run_due_during_an_on_demand_run_is_missed_and_moved_an_interval_on() {
    let env = Env::new(Fixture::demo()).await;
    let id = create(&env, ERP_APP, Some(1), false).await;
    env.emulator.advance(2);
    let scheduled = job(&env, &id)
        .await
        .next_replication_run_start_time()
        .map(DateTime::secs)
        .expect("the next scheduled run");
    env.sms()
        .start_on_demand_replication_run()
        .replication_job_id(&id)
        .send()
        .await
        .expect("on-demand run");
    env.emulator.advance(1);
    // The scheduled run falls due while the on-demand run is under way.
    env.emulator.advance_time(5400, 1);
    let runs = env
        .sms()
        .get_replication_runs()
        .replication_job_id(&id)
        .send()
        .await
        .expect("runs");
    let of = |state: ReplicationRunState| {
        runs.replication_run_list()
            .iter()
            .filter(|r| r.state() == Some(&state))
            .filter_map(|r| r.scheduled_start_time().map(DateTime::secs))
            .collect::<Vec<_>>()
    };
    assert_eq!(of(ReplicationRunState::Missed), vec![scheduled]);
    assert_eq!(of(ReplicationRunState::Pending), vec![scheduled + 3600]);
    assert_eq!(of(ReplicationRunState::Completed).len(), 2);
    assert_eq!(job_state(&env, &id).await, ReplicationJobState::Active);
}

#[tokio::test]
async fn a_paused_job_can_be_given_a_scheduled_run_that_starts_when_due() {
    let env = Env::new(Fixture::demo()).await;
    let id = create(&env, FAILS_FIVE, Some(1), false).await;
    env.emulator.advance(2);
    for _ in 0..2 {
        env.emulator.advance_time(3600, 2);
    }
    let paused = job(&env, &id).await;
    assert_eq!(paused.state(), Some(&ReplicationJobState::PausedOnFailure));
    assert!(paused.next_replication_run_start_time().is_none());
    let at = now().secs() + 3 * 3600;
    let run_id = env.emulator.schedule_sms_run(&id, at).expect("scheduled");
    let listed = job(&env, &id).await;
    assert_eq!(listed.state(), Some(&ReplicationJobState::PausedOnFailure));
    assert_eq!(
        listed.next_replication_run_start_time().map(DateTime::secs),
        Some(at)
    );
    env.emulator.advance(1);
    assert_eq!(
        job_state(&env, &id).await,
        ReplicationJobState::PausedOnFailure,
        "not due yet"
    );
    env.emulator.advance_time(3 * 3600, 1);
    let resumed = job(&env, &id).await;
    assert_eq!(resumed.state(), Some(&ReplicationJobState::Active));
    let run = &resumed.replication_run_list()[0];
    assert_eq!(run.replication_run_id(), Some(run_id.as_str()));
    assert_eq!(run.state(), Some(&ReplicationRunState::Active));
    assert!(env
        .emulator
        .schedule_sms_run("sms-job-00000000000000000", at)
        .is_err());
}

/// A one-time job of the server that fails its runs, ended as failed.
async fn failed_one_time_job(env: &Env) -> String {
    let id = create(env, FAILS_FIVE, None, true).await;
    env.emulator.advance(2);
    id
}

#[tokio::test]
async fn a_one_time_job_fails_at_its_first_failed_run() {
    let env = Env::new(Fixture::demo()).await;
    let id = failed_one_time_job(&env).await;
    assert_eq!(job_state(&env, &id).await, ReplicationJobState::Failed);
}

#[tokio::test]
async fn a_failed_job_takes_no_on_demand_runs() {
    let env = Env::new(Fixture::demo()).await;
    let id = failed_one_time_job(&env).await;
    let err = on_demand(&env, &id)
        .await
        .expect_err("a failed job takes no runs");
    assert_error(&err, "OperationNotPermittedException", 400);
}

#[tokio::test]
async fn a_failed_job_frees_its_server_for_a_new_job() {
    let env = Env::new(Fixture::demo()).await;
    failed_one_time_job(&env).await;
    create(&env, FAILS_FIVE, Some(12), false).await;
}

#[tokio::test]
async fn a_one_time_job_after_a_failed_one_completes_when_its_run_succeeds() {
    let env = Env::new(Fixture::demo()).await;
    let failed = create(&env, ERP_DB, None, true).await;
    env.emulator.advance(2);
    // ERP_DB fails its first run.
    assert_eq!(job_state(&env, &failed).await, ReplicationJobState::Failed);
    let again = create(&env, ERP_DB, None, true).await;
    env.emulator.advance(2);
    assert_eq!(
        job_state(&env, &again).await,
        ReplicationJobState::Completed
    );
}

#[tokio::test]
async fn deleted_jobs_go_away() {
    let env = Env::new(Fixture::demo()).await;
    let id = create(&env, ERP_APP, Some(12), false).await;
    env.sms()
        .delete_replication_job()
        .replication_job_id(&id)
        .send()
        .await
        .expect("delete");
    assert_eq!(job_state(&env, &id).await, ReplicationJobState::Deleting);
    env.emulator.advance(1);
    let jobs = env.sms().get_replication_jobs().send().await.expect("jobs");
    assert!(jobs.replication_job_list().is_empty());
    let err = env
        .sms()
        .delete_replication_job()
        .replication_job_id(&id)
        .send()
        .await
        .expect_err("already gone");
    assert_error(&err, "ReplicationJobNotFoundException", 400);
    create(&env, ERP_APP, Some(12), false).await;
}
