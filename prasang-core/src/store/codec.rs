//! The value format: one format-version byte, then the record in postcard.
//!
//! Every value written to any tree goes through [`encode`] and comes back through [`decode`], so
//! a future format change has exactly one place to branch on the version byte.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StoreError;

/// The version byte written in front of every value.
pub(crate) const FORMAT_VERSION: u8 = 1;

/// Serialises a record with its format version byte.
pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let out = vec![FORMAT_VERSION];
    // Writing postcard into a Vec cannot fail for our plain data types.
    postcard::to_extend(value, out).unwrap_or_else(|_| vec![FORMAT_VERSION])
}

/// Reads a record written by [`encode`].
pub(crate) fn decode<T: DeserializeOwned>(
    tree: &'static str,
    bytes: &[u8],
) -> Result<T, StoreError> {
    match bytes.split_first() {
        Some((&FORMAT_VERSION, body)) => {
            postcard::from_bytes(body).map_err(|error| StoreError::Corrupt {
                tree,
                reason: error.to_string(),
            })
        }
        Some((version, _)) => Err(StoreError::Corrupt {
            tree,
            reason: format!("unknown format version {version}"),
        }),
        None => Err(StoreError::Corrupt {
            tree,
            reason: "empty value".into(),
        }),
    }
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
}
