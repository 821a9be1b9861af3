//! The function's configuration, read from environment variables once at cold start.

use dr_core::config::{ConfigError, Env};
use dr_core::drs::ServerChoice;
use dr_core::settings::Settings;

/// Everything the function is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrsConfig {
    /// What every function has: concurrency, topics, dry run, home account.
    pub settings: Settings,
    /// Servers in scope, and how alarms map to them.
    pub choice: ServerChoice,
    /// Most servers replicating at once in each account and region of the fleet (the DRS
    /// quota): extended servers replicate, and are started and counted, in their staging
    /// account.
    pub replication_quota: usize,
}

/// The DRS quota of replicating source servers per account and region: 300 ["Using multiple
/// staging accounts with DRS", DRS user guide].
pub const DEFAULT_REPLICATION_QUOTA: usize = 300;

impl DrsConfig {
    /// Reads and validates the configuration.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            settings: Settings::from_env(env)?,
            choice: ServerChoice::from_env(env)?,
            replication_quota: env.number(
                "DRS_REPLICATION_QUOTA",
                DEFAULT_REPLICATION_QUOTA,
                1,
                100_000,
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(pairs: &[(&'static str, &'static str)]) -> Result<DrsConfig, String> {
        DrsConfig::from_env(&Env::from_pairs(pairs.iter().copied())).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_with_select_all() {
        let c = load(&[("DRS_SELECT_ALL", "true")]).unwrap();
        assert!(c.choice.selection.all);
        assert_eq!(c.replication_quota, 300);
        assert_eq!(c.settings, Settings::default());
    }

    #[test]
    fn the_quota_and_every_function_setting_are_read() {
        let c = load(&[
            ("DRS_TAGS", "Env=prod"),
            ("DRS_REPLICATION_QUOTA", "250"),
            ("MAX_CONCURRENCY", "4"),
            ("DRY_RUN", "true"),
        ])
        .unwrap();
        assert_eq!(
            (
                c.replication_quota,
                c.settings.max_concurrency,
                c.settings.dry_run
            ),
            (250, 4, true)
        );
    }

    #[test]
    fn invalid_configurations_fail_with_the_variable_named() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[],
                "configuration DRS_SELECT_ALL: no source servers are selected",
            ),
            (
                &[("DRS_SELECT_ALL", "true"), ("DRS_REPLICATION_QUOTA", "0")],
                "configuration DRS_REPLICATION_QUOTA: 0 is out of range",
            ),
            (
                &[("DRS_SELECT_ALL", "true"), ("MAX_CONCURRENCY", "many")],
                "configuration MAX_CONCURRENCY: `many` is not a number",
            ),
        ];
        for (pairs, want) in cases {
            match load(pairs) {
                Err(e) => assert!(
                    e.starts_with(want),
                    "{pairs:?}: got `{e}`, want `{want}...`"
                ),
                Ok(_) => panic!("{pairs:?}: accepted, want `{want}`"),
            }
        }
    }
}
