//! The admission code: the text inside a seat's QR code.
//!
//! 88 bytes, written as base32 (RFC 4648 alphabet, upper case, no padding) so a QR code holds it
//! in alphanumeric mode — 141 characters, a version 6 symbol at error correction M (see `qr`):
//!
//! | bytes | field |
//! |-------|-------|
//! | 1     | format version (`1`) |
//! | 1     | key id: which admission key signed it |
//! | 4     | event tag: the first 4 bytes of SHA-256 of the event id's 16 bytes |
//! | 16    | ticket id (the ULID's bytes) |
//! | 2     | seat number within the ticket, big-endian, from 1 |
//! | 64    | Ed25519 signature of [`signed_message`] |
//!
//! The signature covers the *whole* event id, so the tag only tells a gate quickly that a code
//! belongs to another event; a code cannot be moved to another event by changing the tag.
//! The full event id would not fit a 100-character aim: the signature alone is 64 bytes.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::ids::{EventId, TicketId};

/// The format version written into every code.
pub const CODE_VERSION: u8 = 1;
/// Bytes in a decoded code.
const CODE_BYTES: usize = 1 + 1 + 4 + 16 + 2 + 64;
/// Characters in a code's text.
pub const CODE_LEN: usize = (CODE_BYTES * 8).div_ceil(5);
/// Prefix of the signed message, so an admission signature can never be mistaken for any other
/// signature made with the same key.
const DOMAIN: &[u8] = b"prasang/admission/v1";
const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Why a text is not a valid admission code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Nothing was scanned.
    #[error("the code is empty")]
    Empty,
    /// Wrong length or characters outside the code's alphabet.
    #[error("this is not an admission code")]
    Malformed,
    /// A format version this build does not know.
    #[error("admission codes of version {0} are not supported")]
    UnsupportedVersion(u8),
    /// No admission key with this id was ever published.
    #[error("the code names an unknown signing key ({0})")]
    UnknownKey(u8),
    /// The code belongs to another event.
    #[error("the code is for another event")]
    WrongEvent,
    /// The signature does not match: forged or damaged.
    #[error("the code's signature is not valid")]
    BadSignature,
}

/// A code taken apart, not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCode {
    /// The key that (says it) signed the code.
    pub key_id: u8,
    /// The first 4 bytes of SHA-256 of the event id.
    pub event_tag: [u8; 4],
    /// The ticket.
    pub ticket: TicketId,
    /// The seat within the ticket, from 1.
    pub seat: u32,
    signature: [u8; 64],
}

/// The tag a code carries for `event`.
pub fn event_tag(event: EventId) -> [u8; 4] {
    let digest = Sha256::digest(event.to_bytes());
    [digest[0], digest[1], digest[2], digest[3]]
}

/// What the key signs for one seat.
pub fn signed_message(key_id: u8, event: EventId, ticket: TicketId, seat: u16) -> Vec<u8> {
    let mut message = Vec::with_capacity(DOMAIN.len() + 2 + 16 + 16 + 2);
    message.extend_from_slice(DOMAIN);
    message.push(CODE_VERSION);
    message.push(key_id);
    message.extend_from_slice(&event.to_bytes());
    message.extend_from_slice(&ticket.to_bytes());
    message.extend_from_slice(&seat.to_be_bytes());
    message
}

/// Writes the code for one seat, signed with `key` (whose id is `key_id`).
pub(crate) fn sign(
    key_id: u8,
    key: &SigningKey,
    event: EventId,
    ticket: TicketId,
    seat: u16,
) -> String {
    let signature = key.sign(&signed_message(key_id, event, ticket, seat));
    let mut bytes = Vec::with_capacity(CODE_BYTES);
    bytes.push(CODE_VERSION);
    bytes.push(key_id);
    bytes.extend_from_slice(&event_tag(event));
    bytes.extend_from_slice(&ticket.to_bytes());
    bytes.extend_from_slice(&seat.to_be_bytes());
    bytes.extend_from_slice(&signature.to_bytes());
    base32(&bytes)
}

/// Takes a scanned text apart. Surrounding whitespace (a scanner's trailing newline) and lower
/// case (a person typing it) are accepted.
pub fn parse(text: &str) -> Result<ParsedCode, CodeError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(CodeError::Empty);
    }
    if text.len() != CODE_LEN {
        return Err(CodeError::Malformed);
    }
    let bytes = unbase32(text).ok_or(CodeError::Malformed)?;
    if bytes[0] != CODE_VERSION {
        return Err(CodeError::UnsupportedVersion(bytes[0]));
    }
    let mut ticket = [0; 16];
    ticket.copy_from_slice(&bytes[6..22]);
    let seat = u16::from_be_bytes([bytes[22], bytes[23]]);
    if seat == 0 {
        return Err(CodeError::Malformed);
    }
    let mut signature = [0; 64];
    signature.copy_from_slice(&bytes[24..]);
    Ok(ParsedCode {
        key_id: bytes[1],
        event_tag: [bytes[2], bytes[3], bytes[4], bytes[5]],
        ticket: TicketId::from_bytes(ticket),
        seat: u32::from(seat),
        signature,
    })
}

impl ParsedCode {
    /// Checks that the code belongs to `event` and that `key` (the key its id names) signed it.
    pub fn verify(&self, event: EventId, key: &VerifyingKey) -> Result<(), CodeError> {
        if self.event_tag != event_tag(event) {
            return Err(CodeError::WrongEvent);
        }
        let seat = u16::try_from(self.seat).map_err(|_| CodeError::Malformed)?;
        let message = signed_message(self.key_id, event, self.ticket, seat);
        key.verify(&message, &Signature::from_bytes(&self.signature))
            .map_err(|_| CodeError::BadSignature)
    }
}

fn base32(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            text.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        text.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    text
}

/// Decodes exactly [`CODE_BYTES`] bytes; `None` for any other text, or one whose unused last
/// bits are not zero (so each code has one spelling).
fn unbase32(text: &str) -> Option<[u8; CODE_BYTES]> {
    let mut out = [0u8; CODE_BYTES];
    let (mut buffer, mut bits, mut at) = (0u32, 0u32, 0usize);
    for c in text.bytes() {
        let value = match c.to_ascii_uppercase() {
            c @ b'A'..=b'Z' => c - b'A',
            c @ b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        buffer = ((buffer << 5) | u32::from(value)) & 0xFFF;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            *out.get_mut(at)? = (buffer >> bits) as u8;
            at += 1;
        }
    }
    let leftover = buffer & ((1 << bits) - 1);
    (at == CODE_BYTES && leftover == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn a_signed_code_parses_back_and_verifies() {
        let (event, ticket) = (EventId::generate(), TicketId::generate());
        let code = sign(3, &key(1), event, ticket, 2);
        assert_eq!(code.len(), CODE_LEN);
        assert!(code.bytes().all(|c| ALPHABET.contains(&c)));
        let parsed = parse(&format!(" {}\n", code.to_lowercase())).expect("parses");
        assert_eq!((parsed.key_id, parsed.ticket, parsed.seat), (3, ticket, 2));
        assert_eq!(parsed.verify(event, &key(1).verifying_key()), Ok(()));
        assert_eq!(
            parsed.verify(EventId::generate(), &key(1).verifying_key()),
            Err(CodeError::WrongEvent)
        );
        assert_eq!(
            parsed.verify(event, &key(2).verifying_key()),
            Err(CodeError::BadSignature)
        );
    }

    #[test]
    fn damaged_codes_never_verify() {
        let (event, ticket) = (EventId::generate(), TicketId::generate());
        let code = sign(1, &key(1), event, ticket, 1);
        let verifying = key(1).verifying_key();
        for at in 0..code.len() {
            let mut damaged = code.clone().into_bytes();
            damaged[at] = if damaged[at] == b'A' { b'B' } else { b'A' };
            let damaged = String::from_utf8(damaged).expect("ascii");
            let verdict = parse(&damaged).and_then(|parsed| parsed.verify(event, &verifying));
            assert!(verdict.is_err(), "a change at {at} still verified");
        }
        assert_eq!(parse(""), Err(CodeError::Empty));
        assert_eq!(parse(&code[1..]), Err(CodeError::Malformed));
        assert_eq!(
            parse(&format!("{}1", &code[1..])),
            Err(CodeError::Malformed)
        );
    }
}
