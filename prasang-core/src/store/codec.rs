//! The value format: one format-version byte, then the record in postcard.
//!
//! Domain records (users, events, sale states, tickets) implement [`Record`]: each names its own
//! current layout version and how to read older ones, and goes through [`write`] and [`read`].
//! Other values (log entries, tokens, notification settings) are still at version 1 and use
//! [`encode`] / [`decode`]. Either way the version byte is checked in this one module.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StoreError;

/// The version byte written in front of values that are not [`Record`]s.
pub(crate) const FORMAT_VERSION: u8 = 1;

/// A struct stored in a tree, separate from the API type built from it, so the API can change
/// (rename a JSON field, add a computed one) without touching the bytes on disk.
///
/// Within a version, fields are never reordered, retyped or removed, and enum variants are only
/// appended (postcard writes fields in order and variants by index); anything else is a new
/// `VERSION` whose predecessor stays readable through [`Record::read_older`].
pub(crate) trait Record: Serialize + DeserializeOwned {
    /// The tree holding it (named in errors).
    const TREE: &'static str;
    /// The layout version written today.
    const VERSION: u8;

    /// Reads the body of a value written in an older layout `version`, or `None` when there is
    /// no such version.
    fn read_older(version: u8, body: &[u8]) -> Option<postcard::Result<Self>> {
        let _ = (version, body);
        None
    }
}

/// Serialises a record behind its current version byte.
pub(crate) fn write<R: Record>(record: &R) -> Vec<u8> {
    encode_as(R::VERSION, record)
}

/// Reads a record of any version it knows.
pub(crate) fn read<R: Record>(bytes: &[u8]) -> Result<R, StoreError> {
    let Some((&version, body)) = bytes.split_first() else {
        return Err(corrupt(R::TREE, "empty value".into()));
    };
    let result = if version == R::VERSION {
        postcard::from_bytes(body)
    } else {
        R::read_older(version, body)
            .ok_or_else(|| corrupt(R::TREE, format!("unknown format version {version}")))?
    };
    result.map_err(|error| corrupt(R::TREE, error.to_string()))
}

/// The record stored under `key` in `tree`, if any.
pub(crate) fn get<R: Record>(tree: &sled::Tree, key: &[u8]) -> Result<Option<R>, StoreError> {
    tree.get(key)?.map(|bytes| read(&bytes)).transpose()
}

fn corrupt(tree: &'static str, reason: String) -> StoreError {
    StoreError::Corrupt { tree, reason }
}

fn encode_as<T: Serialize>(version: u8, value: &T) -> Vec<u8> {
    // Writing postcard into a Vec cannot fail for our plain data types.
    postcard::to_extend(value, vec![version]).unwrap_or_else(|_| vec![version])
}

/// Serialises a record with its format version byte.
pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    encode_as(FORMAT_VERSION, value)
}

/// Reads a record written by [`encode`].
pub(crate) fn decode<T: DeserializeOwned>(
    tree: &'static str,
    bytes: &[u8],
) -> Result<T, StoreError> {
    match bytes.split_first() {
        Some((&FORMAT_VERSION, body)) => {
            postcard::from_bytes(body).map_err(|error| corrupt(tree, error.to_string()))
        }
        Some((version, _)) => Err(corrupt(tree, format!("unknown format version {version}"))),
        None => Err(corrupt(tree, "empty value".into())),
    }
}

/// The index postcard stores for each unit variant in `values`: record tests pin these, since a
/// reordered enum would change what stored bytes mean without failing to decode.
#[cfg(test)]
pub(crate) fn variant_indexes<T: Serialize>(values: &[T]) -> Vec<u8> {
    values.iter().map(|value| encode(value)[1]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_carry_their_version_and_round_trip() {
        let bytes = encode(&(7u32, String::from("seat")));
        assert_eq!(bytes[0], FORMAT_VERSION);
        let back: (u32, String) = decode("test", &bytes).expect("decodes");
        assert_eq!(back, (7, "seat".into()));
    }

    #[test]
    fn unknown_versions_and_garbage_are_reported_not_misread() {
        let mut bytes = encode(&7u32);
        bytes[0] = 99;
        assert!(matches!(
            decode::<u32>("test", &bytes),
            Err(StoreError::Corrupt { .. })
        ));
        assert!(decode::<u32>("test", &[]).is_err());
    }

    /// Version 2 of a test record dropped the second field of version 1.
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Sample(u32);

    impl Record for Sample {
        const TREE: &'static str = "samples";
        const VERSION: u8 = 2;

        fn read_older(version: u8, body: &[u8]) -> Option<postcard::Result<Self>> {
            (version == 1)
                .then(|| postcard::from_bytes(body).map(|(n, _): (u32, String)| Sample(n)))
        }
    }

    #[test]
    fn records_are_written_at_their_version_and_older_versions_are_upgraded() {
        let bytes = write(&Sample(7));
        assert_eq!(bytes[0], 2);
        assert_eq!(read::<Sample>(&bytes).expect("current"), Sample(7));
        let old = encode_as(1, &(9u32, String::from("gone")));
        assert_eq!(read::<Sample>(&old).expect("upgraded"), Sample(9));
        let future = encode_as(3, &7u32);
        assert!(matches!(
            read::<Sample>(&future),
            Err(StoreError::Corrupt {
                tree: "samples",
                ..
            })
        ));
    }
}
