//! Typed, time-ordered identifiers (ULIDs).
//!
//! Each kind of record has its own id type so a ticket id can never be passed where an event id
//! is expected. Ids sort by creation time, are stored as 16 big-endian bytes (so sled range scans
//! come back in creation order) and print as 26-character Crockford base32 text.

use std::fmt;
use std::str::FromStr;

use parking_lot::Mutex;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ulid::{Generator, Ulid};

/// An id's text held on the stack: what `to_string()` gives, without allocating a `String`
/// (bulk exports write millions of ids). Obtained from the `text()` method of every id type.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct IdText([u8; ulid::ULID_LEN]);

impl IdText {
    /// The length of every id's text, in bytes (and characters).
    pub const LEN: usize = ulid::ULID_LEN;

    fn of(ulid: Ulid) -> Self {
        let mut text = [0; ulid::ULID_LEN];
        ulid.array_to_str(&mut text);
        IdText(text)
    }

    /// The text, e.g. `01JDQ7Z8X3M4N5P6Q7R8S9T0VW`.
    pub fn as_str(&self) -> &str {
        // Crockford base32 digits are ASCII, so this never falls back.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl AsRef<str> for IdText {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for IdText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for IdText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// The text was not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid id: expected 26 characters of Crockford base32")]
pub struct InvalidId;

static GENERATOR: Mutex<Option<Generator>> = Mutex::new(None);

/// A new ULID, strictly greater than every other this process generated.
fn next_ulid() -> Ulid {
    let mut generator = GENERATOR.lock();
    generator
        .get_or_insert_with(Generator::new)
        .generate()
        // Only fails when 2^80 ids are made in one millisecond; a random id is then still unique.
        .unwrap_or_else(|_| Ulid::new())
}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Ulid);

        impl $name {
            pub(crate) fn generate() -> Self {
                $name(next_ulid())
            }

            /// The 16 big-endian bytes used in store keys.
            pub fn to_bytes(self) -> [u8; 16] {
                self.0.to_bytes()
            }

            /// The id whose key bytes these are.
            pub fn from_bytes(bytes: [u8; 16]) -> Self {
                $name(Ulid::from_bytes(bytes))
            }

            /// The id's text without allocating (equal to `to_string()`).
            pub fn text(self) -> IdText {
                IdText::of(self.0)
            }

            /// Reads an id back from the first 16 bytes of a store key.
            pub(crate) fn from_key_prefix(key: &[u8]) -> Option<Self> {
                let bytes: [u8; 16] = key.get(..16)?.try_into().ok()?;
                Some(Self::from_bytes(bytes))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(text: &str) -> Result<Self, InvalidId> {
                // 26 base32 digits hold 130 bits; a ULID has 128, so the first digit is at most
                // 7. The ulid crate would let a larger one wrap around to another id.
                if !text.starts_with(|c: char| ('0'..='7').contains(&c)) {
                    return Err(InvalidId);
                }
                Ulid::from_string(text).map($name).map_err(|_| InvalidId)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                if serializer.is_human_readable() {
                    serializer.collect_str(&self.0)
                } else {
                    serializer.serialize_u128(self.0.0)
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                if deserializer.is_human_readable() {
                    let text = String::deserialize(deserializer)?;
                    text.parse().map_err(serde::de::Error::custom)
                } else {
                    u128::deserialize(deserializer).map(|raw| $name(Ulid(raw)))
                }
            }
        }
    };
}

typed_id!(
    /// Identifies a user account.
    UserId
);
impl UserId {
    /// The all-zero id, which no account has: the user of [`crate::auth::Auth::system_actor`].
    pub const SYSTEM: UserId = UserId(Ulid(0));
}

typed_id!(
    /// Identifies an event.
    EventId
);
typed_id!(
    /// Identifies a ticket (one booking of one or more seats).
    TicketId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_in_creation_order_as_bytes_and_text() {
        let ids: Vec<TicketId> = (0..1000).map(|_| TicketId::generate()).collect();
        for pair in ids.windows(2) {
            assert!(pair[0].to_bytes() < pair[1].to_bytes());
            assert!(pair[0].to_string() < pair[1].to_string());
        }
    }

    #[test]
    fn id_text_is_the_display_text() {
        for _ in 0..100 {
            let id = TicketId::generate();
            assert_eq!(id.text().as_str(), id.to_string());
            assert_eq!(id.text().as_str().parse::<TicketId>(), Ok(id));
        }
        let zero = UserId::SYSTEM.text();
        assert_eq!(zero.as_str(), "0".repeat(26));
        assert_eq!(format!("{zero}"), zero.as_str());
    }

    #[test]
    fn text_round_trips_and_garbage_is_refused() {
        let id = EventId::generate();
        assert_eq!(id.to_string().parse::<EventId>(), Ok(id));
        assert_eq!("not-an-id".parse::<EventId>(), Err(InvalidId));
        assert_eq!("".parse::<EventId>(), Err(InvalidId));
        let largest = "7ZZZZZZZZZZZZZZZZZZZZZZZZZ";
        assert_eq!(
            largest.parse::<EventId>().map(|id| id.to_string()),
            Ok(largest.into())
        );
        for beyond in ["8ZZZZZZZZZZZZZZZZZZZZZZZZZ", "81M8TGKYADXGYKVTEN19VRXDBS"] {
            assert_eq!(
                beyond.parse::<EventId>(),
                Err(InvalidId),
                "{beyond} would wrap"
            );
        }
    }
}
