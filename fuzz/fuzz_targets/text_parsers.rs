//! Ids, RFC 3339 times and report names from arbitrary bytes: a typed error or a value that
//! prints and parses back to itself.
#![no_main]

use std::str::FromStr;

use libfuzzer_sys::fuzz_target;
use prasang_core::analytics::ReportName;
use prasang_core::{EventId, Timestamp};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(id) = EventId::from_str(text) {
        assert_eq!(EventId::from_str(&id.to_string()).ok(), Some(id));
    }
    if let Some(at) = Timestamp::parse_rfc3339(text) {
        let printed = serde_json::to_value(at).unwrap();
        assert_eq!(serde_json::from_value::<Timestamp>(printed).ok(), Some(at));
    }
    if let Ok(report) = ReportName::parse(text) {
        assert_eq!(ReportName::parse(report.as_str()).ok(), Some(report));
    }
});
