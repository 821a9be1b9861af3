//! Trigger parsing never panics: any bytes Lambda could hand a function either fail to parse as
//! JSON, or give a `Trigger` or a typed `TriggerError` whose messages render.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(event) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    match dr_core::trigger::parse(&event) {
        Ok(trigger) => {
            let _ = trigger.describe();
            for event in &trigger.events {
                let _ = (event.key(), event.describe());
            }
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }
});
