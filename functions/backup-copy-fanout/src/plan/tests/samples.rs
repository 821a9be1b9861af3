//! Every sample event in `events/backup-copy-fanout` parses, scopes and plans as documented.

use super::*;
use serde_json::Value;
use std::path::PathBuf;

const SNAPSHOT: &str = "arn:aws:ec2:us-east-1::snapshot/snap-0a1b2c3d4e5f60001";
const RDS_POINT: &str =
    "arn:aws:backup:us-east-1:123456789012:recovery-point:4e8c1a3b-5d6f-4a7b-8c9d-0e1f2a3b4c5d";
const AMI: &str = "arn:aws:ec2:us-east-1::image/ami-0a1b2c3d4e5f60002";
const DYNAMO_POINT: &str =
    "arn:aws:backup:us-east-1:123456789012:recovery-point:9d3f5b7a-2c4e-4f60-8a1b-3c5d7e9f1a2b";
/// The snapshot of a member account's backup, forwarded by a central event bus.
const MEMBER_SNAPSHOT: &str = "arn:aws:ec2:us-east-1::snapshot/snap-073532b6a42aa3d92";

/// Every sample file; each has a test below.
const SAMPLES: [&str; 12] = [
    "backup-job-completed.json",
    "copy-job-completed.json",
    "copy-job-failed.json",
    "direct-invoke-dry-run.json",
    "direct-invoke.json",
    "fleet-backup-job-completed-member-account.json",
    "fleet-target-invoke.json",
    "scheduled-event.json",
    "scheduler-input.json",
    "vault-notification-backup-completed-variant-b.json",
    "vault-notification-backup-completed.json",
    "vault-notification-backup-failed.json",
];

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/backup-copy-fanout")
}

/// A recovery point observe would find, `minute` minutes after T0.
fn found(arn: &str, resource: &str, resource_type: &str, minute: i64) -> RecoveryPoint {
    RecoveryPoint {
        arn: arn.into(),
        resource_arn: Some(resource.into()),
        resource_type: Some(resource_type.into()),
        created: Some(T0 + minute * 60),
        ..point(0)
    }
}

fn known_points() -> [RecoveryPoint; 5] {
    [
        found(
            SNAPSHOT,
            "arn:aws:ec2:us-east-1:123456789012:volume/vol-0a1b2c3d4e5f60001",
            "EBS",
            1,
        ),
        found(
            RDS_POINT,
            "arn:aws:rds:us-east-1:123456789012:db:orders",
            "RDS",
            2,
        ),
        found(
            AMI,
            "arn:aws:ec2:us-east-1:123456789012:instance/i-0a1b2c3d4e5f60002",
            "EC2",
            3,
        ),
        found(
            DYNAMO_POINT,
            "arn:aws:dynamodb:us-east-1:123456789012:table/sessions",
            "DynamoDB",
            4,
        ),
        found(
            MEMBER_SNAPSHOT,
            "arn:aws:ec2:us-east-1:234567890123:volume/vol-dae4a648699c51fcc",
            "EBS",
            5,
        ),
    ]
}

/// A copy job observe would find, of `source` to the west vault.
fn to_west(id: &str, source: &RecoveryPoint, state: CopyJobState) -> CopyJob {
    CopyJob {
        id: id.into(),
        source_recovery_point_arn: Some(source.arn.clone()),
        resource_arn: source.resource_arn.clone(),
        ..job(id, 0, WEST, state, 0)
    }
}

/// What a sample plans.
struct Sampled {
    dry_run: bool,
    sweep: bool,
    copies: Vec<(String, u32)>,
    skip_targets: Vec<String>,
}

/// Parses sample `name`, scopes it, and plans it over what observe would find: the sweep lists
/// the newest point, lookups find what is named, and the copy job samples find their jobs.
fn sampled(name: &str) -> Sampled {
    let text = std::fs::read_to_string(dir().join(name)).expect("readable");
    let event: Value = serde_json::from_str(&text).expect("JSON");
    let trigger = dr_core::trigger::parse(&event).unwrap_or_else(|e| panic!("{name}: {e}"));
    let scope = scope(&trigger, &config());
    let [snapshot, _, ami, dynamo, _] = known_points();
    let mut points: Vec<RecoveryPoint> = if scope.sweep { vec![ami] } else { vec![] };
    for req in &scope.points {
        points.extend(
            known_points()
                .into_iter()
                .filter(|p| p.arn == req.recovery_point_arn),
        );
    }
    let jobs = match name {
        "copy-job-completed.json" => vec![to_west(
            "6B1D4E2F-9A8C-4B7D-8E6F-5A4B3C2D1E0F",
            &snapshot,
            Completed,
        )],
        "copy-job-failed.json" => vec![to_west(
            "3F9C2B1A-7E6D-4C5B-8A49-0F1E2D3C4B5A",
            &dynamo,
            Failed,
        )],
        _ => vec![],
    };
    let sweep = scope.sweep;
    let got = plan(&config(), &facts(scope, points, jobs));
    assert!(got.outcomes.is_empty(), "{name}: {:?}", got.outcomes);
    let skip_targets = trigger
        .skips
        .listed()
        .iter()
        .chain(got.skips.listed())
        .map(|s| s.target.clone())
        .collect();
    Sampled {
        dry_run: trigger.dry_run,
        sweep,
        copies: got
            .actions
            .iter()
            .map(|c| (c.target(), c.attempt))
            .collect(),
        skip_targets,
    }
}

/// Both destinations of `point`, first attempts.
fn everywhere(point: &str) -> Vec<(String, u32)> {
    vec![(target(point, WEST), 1), (target(point, ISOLATED), 1)]
}

/// Asserts that sample `name` is an event (no sweep, no dry run) that starts `copies` and skips
/// `skips`.
fn event_plans(name: &str, copies: Vec<(String, u32)>, skips: &[String]) {
    let got = sampled(name);
    assert!(!got.dry_run && !got.sweep, "{name}");
    assert_eq!(got.copies, copies, "{name}");
    assert_eq!(got.skip_targets, skips, "{name}");
}

#[test]
fn every_sample_event_has_its_expectation() {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .expect("events directory")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert_eq!(names, SAMPLES);
}

#[test]
fn the_backup_job_completed_sample_copies_its_snapshot_everywhere() {
    event_plans(SAMPLES[0], everywhere(SNAPSHOT), &[]);
}

#[test]
fn the_copy_job_completed_sample_starts_the_remaining_destination() {
    let copied = target(SNAPSHOT, WEST);
    event_plans(SAMPLES[1], vec![(target(SNAPSHOT, ISOLATED), 1)], &[copied]);
}

#[test]
fn the_copy_job_failed_sample_retries_its_destination_as_attempt_two() {
    event_plans(SAMPLES[2], vec![(target(DYNAMO_POINT, WEST), 2)], &[]);
}

#[test]
fn the_direct_invoke_dry_run_sample_plans_both_points_everywhere() {
    let got = sampled(SAMPLES[3]);
    assert!(got.dry_run && !got.sweep);
    let mut copies = everywhere(RDS_POINT);
    copies.extend(everywhere(SNAPSHOT));
    assert_eq!((got.copies, got.skip_targets.len()), (copies, 0));
}

#[test]
fn the_direct_invoke_sample_copies_its_point_everywhere() {
    event_plans(SAMPLES[4], everywhere(RDS_POINT), &[]);
}

#[test]
fn the_member_accounts_backup_job_sample_copies_its_snapshot_everywhere() {
    event_plans(SAMPLES[5], everywhere(MEMBER_SNAPSHOT), &[]);
}

#[test]
fn the_schedule_samples_sweep() {
    for name in [SAMPLES[6], SAMPLES[7], SAMPLES[8]] {
        let got = sampled(name);
        assert!(got.sweep && !got.dry_run, "{name}");
        assert_eq!(got.copies, everywhere(AMI), "{name}");
        assert!(got.skip_targets.is_empty(), "{name}");
    }
}

#[test]
fn the_vault_notification_samples_of_completed_backups_copy_their_points() {
    event_plans(SAMPLES[9], everywhere(AMI), &[]);
    event_plans(SAMPLES[10], everywhere(RDS_POINT), &[]);
}

#[test]
fn the_vault_notification_sample_of_a_failed_backup_is_skipped() {
    event_plans(
        SAMPLES[11],
        vec![],
        &["3c4d5e6f-a1b2-4c3d-8e4f-5a6b7c8d9e0f".into()],
    );
}
