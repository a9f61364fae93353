//! Who a message is for, among one event's people: the type alone, so the log's entries can
//! name it without depending on how recipients are found ([`super::recipients`]).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::events::TicketTypeId;

/// Who a message is for, among one event's people.
///
/// In JSON it is an object tagged by `kind` (`{"kind": "ticket_type", "ticket_type": 2}`); in the
/// store (postcard, which cannot read tagged objects back) it is a plain enum whose variants are
/// only ever appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub enum Segment {
    /// Everyone holding an active (booked or pending) ticket.
    AllHolders,
    /// Holders of active tickets with seats of one ticket type.
    TicketType {
        /// The type's number within the event.
        ticket_type: TicketTypeId,
    },
    /// Holders with at least one seat admitted at the door.
    CheckedIn,
    /// Holders of booked tickets with no seat admitted yet.
    NotCheckedIn,
    /// Everyone on the event's waiting list (waiting or holding an offer).
    WaitingList,
}

/// The JSON form of [`Segment`].
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum Tagged {
    AllHolders,
    TicketType { ticket_type: TicketTypeId },
    CheckedIn,
    NotCheckedIn,
    WaitingList,
}

impl From<Segment> for Tagged {
    fn from(segment: Segment) -> Self {
        match segment {
            Segment::AllHolders => Tagged::AllHolders,
            Segment::TicketType { ticket_type } => Tagged::TicketType { ticket_type },
            Segment::CheckedIn => Tagged::CheckedIn,
            Segment::NotCheckedIn => Tagged::NotCheckedIn,
            Segment::WaitingList => Tagged::WaitingList,
        }
    }
}

impl From<Tagged> for Segment {
    fn from(tagged: Tagged) -> Self {
        match tagged {
            Tagged::AllHolders => Segment::AllHolders,
            Tagged::TicketType { ticket_type } => Segment::TicketType { ticket_type },
            Tagged::CheckedIn => Segment::CheckedIn,
            Tagged::NotCheckedIn => Segment::NotCheckedIn,
            Tagged::WaitingList => Segment::WaitingList,
        }
    }
}

impl Serialize for Segment {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            Tagged::from(*self).serialize(serializer)
        } else {
            Segment::serialize(self, serializer)
        }
    }
}

impl<'de> Deserialize<'de> for Segment {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            Tagged::deserialize(deserializer).map(Segment::from)
        } else {
            Segment::deserialize(deserializer)
        }
    }
}

impl Segment {
    /// Its name as the API spells its `kind`.
    pub fn kind(self) -> &'static str {
        match self {
            Segment::AllHolders => "all_holders",
            Segment::TicketType { .. } => "ticket_type",
            Segment::CheckedIn => "checked_in",
            Segment::NotCheckedIn => "not_checked_in",
            Segment::WaitingList => "waiting_list",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::codec;

    const ALL: [Segment; 5] = [
        Segment::AllHolders,
        Segment::TicketType { ticket_type: 7 },
        Segment::CheckedIn,
        Segment::NotCheckedIn,
        Segment::WaitingList,
    ];

    #[test]
    fn json_is_tagged_by_kind_and_the_store_reads_back_what_it_wrote() {
        for segment in ALL {
            let json = serde_json::to_value(segment).expect("to json");
            assert_eq!(json["kind"], segment.kind());
            let back: Segment = serde_json::from_value(json).expect("from json");
            assert_eq!(back, segment);
            let stored = codec::encode(&segment);
            assert_eq!(
                codec::decode::<Segment>("log", &stored).expect("reads"),
                segment
            );
        }
        let typed: Segment =
            serde_json::from_str(r#"{"kind":"ticket_type","ticket_type":2}"#).expect("reads");
        assert_eq!(typed, Segment::TicketType { ticket_type: 2 });
        assert!(serde_json::from_str::<Segment>(r#"{"kind":"everyone"}"#).is_err());
    }

    /// Stored by variant index: reordering the variants would change what old log entries say.
    #[test]
    fn stored_variant_indexes_never_change() {
        let indexes: Vec<u8> = ALL.iter().map(|s| codec::encode(s)[1]).collect();
        assert_eq!(indexes, [0, 1, 2, 3, 4]);
    }
}
