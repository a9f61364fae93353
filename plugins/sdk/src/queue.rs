//! Wording for a waiting room's admission (`queue-admitted` notifications), shared by the
//! bundled plugins so an e-mail, a chat message and an SMS say it the same way.

use crate::QueuePass;
use crate::time::{human_local, short_local};

/// Until when the pass stands, on the event's clock: `Mon 30 Nov 2026, 20:00 IST (UTC+05:30)`.
pub fn until(pass: &QueuePass) -> String {
    human_local(&pass.expires_at_local)
}

/// The same where space is short (an SMS): `30 Nov 20:00 IST`.
pub fn until_short(pass: &QueuePass) -> String {
    short_local(&pass.expires_at_local)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::queue_admitted;

    #[test]
    fn the_pass_lapses_on_the_events_clock() {
        let pass = queue_admitted().queue_pass.expect("a pass");
        assert_eq!(until(&pass), "Mon 30 Nov 2026, 20:00 IST (UTC+05:30)");
        assert_eq!(until_short(&pass), "30 Nov 20:00 IST");
    }
}
