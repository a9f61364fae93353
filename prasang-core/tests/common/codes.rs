//! Admission codes made outside the core: with the store's own key read from its file (a code
//! for a seat the core would not show a code for), or with another key (a forgery), written
//! with a base32 encoder of the tests' own.

use ed25519_dalek::pkcs8::DecodePrivateKey;
use ed25519_dalek::{Signer, SigningKey};
use prasang_core::admission::code::{event_tag, signed_message};
use prasang_core::auth::Actor;
use prasang_core::{EventId, Prasang, TicketId};

/// The codes of every seat of `ticket`, as `holder` sees them.
pub fn seat_codes(prasang: &Prasang, holder: &Actor, ticket: TicketId) -> Vec<String> {
    prasang
        .admissions()
        .codes(holder, ticket)
        .expect("codes")
        .into_iter()
        .map(|seat| seat.code)
        .collect()
}

/// The store's admission key `id`, read from its data folder (the key exists once a code or
/// the public keys were asked for).
pub fn store_key(prasang: &Prasang, id: u8) -> SigningKey {
    prasang.admissions().public_keys().expect("keys exist");
    let path = prasang
        .data_dir()
        .join(format!("keys/admission/admission-ed25519-{id}.pk8"));
    let der = std::fs::read(&path).expect("key file");
    SigningKey::from_pkcs8_der(&der).expect("PKCS#8 key")
}

/// A key the store never had.
pub fn stranger_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

/// The code of `seat` of `ticket` signed by `key` under `key_id`, in the published format.
pub fn sign(key: &SigningKey, key_id: u8, event: EventId, ticket: TicketId, seat: u16) -> String {
    let signature = key.sign(&signed_message(key_id, event, ticket, seat));
    let mut bytes = vec![1, key_id];
    bytes.extend_from_slice(&event_tag(event));
    bytes.extend_from_slice(&ticket.to_bytes());
    bytes.extend_from_slice(&seat.to_be_bytes());
    bytes.extend_from_slice(&signature.to_bytes());
    base32(&bytes)
}

/// RFC 4648 base32, upper case, no padding.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let bits: Vec<bool> = bytes
        .iter()
        .flat_map(|byte| (0..8).rev().map(move |i| byte >> i & 1 == 1))
        .collect();
    bits.chunks(5)
        .map(|chunk| {
            let value = (0..5).fold(0usize, |acc, i| {
                acc << 1 | usize::from(*chunk.get(i).unwrap_or(&false))
            });
            char::from(ALPHABET[value])
        })
        .collect()
}

/// Reads RFC 4648 base32 (upper case, no padding) back into bytes.
pub fn unbase32(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let bits: Vec<bool> = text
        .bytes()
        .flat_map(|c| {
            let value = ALPHABET.iter().position(|&a| a == c).expect("base32");
            (0..5).rev().map(move |i| value >> i & 1 == 1)
        })
        .collect();
    bits.chunks_exact(8)
        .map(|byte| byte.iter().fold(0u8, |acc, &bit| acc << 1 | u8::from(bit)))
        .collect()
}
