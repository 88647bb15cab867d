//! Humbol's SCIM bearer tokens: format, generation from random bytes, and offline validation.
//!
//! A token reads `humbol_scim_` + 32 base62 characters of CSPRNG randomness + 6 base62 characters of a CRC32
//! checksum over the random part (the design GitHub uses for its tokens):
//!
//! - the fixed prefix lets secret scanners recognise a leaked Humbol token;
//! - the checksum lets a server refuse a mistyped or truncated token without a database lookup;
//! - the random part carries more than 190 bits of entropy.
//!
//! Only the SHA-256 hash of the whole token is ever stored ([`IssuedToken::hash`], [`parse`]). The
//! [`IssuedToken::hint`] (prefix and last four characters) is safe to show in lists.
//!
//! This module does no I/O and draws no randomness itself: the caller passes 24 bytes from a CSPRNG to
//! [`from_random_bytes`], so that this crate stays free of a random number generator.

use sha2::{Digest, Sha256};
use std::fmt;

/// The fixed prefix of every Humbol SCIM token.
pub const PREFIX: &str = "humbol_scim_";
/// The prefix of an OAuth client secret (same shape, [`from_random_bytes_with_prefix`]).
pub const CLIENT_SECRET_PREFIX: &str = "humbol_secret_";
/// The prefix of an OAuth access token issued by the token endpoint (same shape).
pub const ACCESS_TOKEN_PREFIX: &str = "humbol_at_";
/// Number of base62 characters carrying randomness.
pub const RANDOM_LEN: usize = 32;
/// Number of base62 characters of the CRC32 checksum (62^6 > 2^32).
pub const CHECKSUM_LEN: usize = 6;
/// Total length of a token in bytes (all characters are ASCII).
pub const TOKEN_LEN: usize = PREFIX.len() + RANDOM_LEN + CHECKSUM_LEN;
/// Number of random bytes [`from_random_bytes`] takes (192 bits, reduced to 32 base62 digits ≈ 190.5 bits).
pub const RANDOM_BYTES: usize = 24;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A freshly generated token: the secret (shown to its owner once) and what may be stored.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The whole token, e.g. `humbol_scim_4Fq…a1B2`. Show it once; never store or log it.
    pub secret: String,
    /// SHA-256 of the whole secret: the only form in which the token is stored.
    pub hash: [u8; 32],
    /// A non-secret hint for lists: the prefix, an ellipsis and the last four characters.
    pub hint: String,
}

impl fmt::Debug for IssuedToken {
    /// Never prints the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("secret", &"<redacted>")
            .field("hint", &self.hint)
            .finish_non_exhaustive()
    }
}

/// Why a string is not a well-formed Humbol SCIM token. The messages never repeat the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenFormatError {
    #[error("the token does not start with `{PREFIX}`")]
    MissingPrefix,
    #[error("the token has the wrong length (a Humbol SCIM token has {TOKEN_LEN} characters)")]
    WrongLength,
    #[error("the token contains a character outside [0-9A-Za-z] after its prefix")]
    InvalidCharacter,
    #[error("the token's checksum does not match: it was mistyped or truncated")]
    ChecksumMismatch,
}

/// Builds a token from 24 bytes drawn from a CSPRNG (e.g. `rand::rng().fill_bytes`).
pub fn from_random_bytes(random: &[u8; RANDOM_BYTES]) -> IssuedToken {
    from_random_bytes_with_prefix(PREFIX, random)
}

/// [`from_random_bytes`] with another prefix: Humbol's other credentials of the same shape (OAuth client
/// secrets and access tokens), recognisable by their own prefix.
pub fn from_random_bytes_with_prefix(prefix: &str, random: &[u8; RANDOM_BYTES]) -> IssuedToken {
    let random_part: [u8; RANDOM_LEN] = base62_fixed(*random);
    let checksum = checksum_digits(&random_part);
    let mut secret = String::with_capacity(prefix.len() + RANDOM_LEN + CHECKSUM_LEN);
    secret.push_str(prefix);
    secret.extend(random_part.iter().chain(&checksum).map(|&b| char::from(b)));
    let hash = hash(&secret);
    let hint = hint(prefix, &secret);
    IssuedToken { secret, hash, hint }
}

/// Checks a presented token's prefix, length, character set and checksum, and returns its SHA-256 hash,
/// the key under which the store knows it.
pub fn parse(s: &str) -> Result<[u8; 32], TokenFormatError> {
    parse_with_prefix(PREFIX, s)
}

/// [`parse`] for a credential made by [`from_random_bytes_with_prefix`] with `prefix`.
pub fn parse_with_prefix(prefix: &str, s: &str) -> Result<[u8; 32], TokenFormatError> {
    let rest = s
        .strip_prefix(prefix)
        .ok_or(TokenFormatError::MissingPrefix)?;
    if rest.len() != RANDOM_LEN + CHECKSUM_LEN {
        return Err(TokenFormatError::WrongLength);
    }
    if !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(TokenFormatError::InvalidCharacter);
    }
    // All ASCII from here on, so byte offsets are character offsets.
    let (random_part, checksum) = rest.split_at(RANDOM_LEN);
    if checksum.as_bytes() != checksum_digits(random_part.as_bytes()) {
        return Err(TokenFormatError::ChecksumMismatch);
    }
    Ok(hash(s))
}

/// Whether `s` looks like a Humbol SCIM token (for secret scanning and log redaction): same checks as
/// [`parse`], without hashing.
pub fn looks_like_token(s: &str) -> bool {
    parse(s).is_ok()
}

/// SHA-256 of the whole token text.
fn hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// The prefix (e.g. `humbol_scim_`), `…` and the last four characters.
fn hint(prefix: &str, secret: &str) -> String {
    let tail = secret.get(secret.len().saturating_sub(4)..).unwrap_or("");
    format!("{prefix}…{tail}")
}

/// The CRC32 (IEEE) of `data` as exactly [`CHECKSUM_LEN`] base62 digits (ASCII).
fn checksum_digits(data: &[u8]) -> [u8; CHECKSUM_LEN] {
    base62_fixed(crc32fast::hash(data).to_be_bytes())
}

/// The big-endian unsigned integer `bytes` as exactly `D` base62 digits (ASCII), most significant first
/// (left-padded with `0`; reduced modulo 62^D if it does not fit). On the stack: every presented token's
/// checksum is computed again.
fn base62_fixed<const B: usize, const D: usize>(bytes: [u8; B]) -> [u8; D] {
    let mut number = bytes;
    let mut out = [ALPHABET[0]; D];
    for slot in out.iter_mut().rev() {
        // Long division of `number` by 62; the remainder is the next least significant digit.
        let mut remainder: u32 = 0;
        for byte in number.iter_mut() {
            let acc = (remainder << 8) | u32::from(*byte);
            // acc < 62 * 256, so the quotient fits in a byte.
            *byte = (acc / 62) as u8;
            remainder = acc % 62;
        }
        *slot = ALPHABET[remainder as usize];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(seed: u8) -> IssuedToken {
        let mut bytes = [0u8; RANDOM_BYTES];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = seed
                .wrapping_mul(31)
                .wrapping_add(i as u8)
                .wrapping_mul(151);
        }
        from_random_bytes(&bytes)
    }

    #[test]
    fn generated_token_has_the_documented_shape() {
        let t = token(7);
        assert_eq!(t.secret.len(), TOKEN_LEN);
        assert_eq!(TOKEN_LEN, 50);
        assert!(t.secret.starts_with(PREFIX));
        assert!(t.secret[PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(t.hint, format!("humbol_scim_…{}", &t.secret[46..]));
        assert!(!t.hint.contains(&t.secret[PREFIX.len()..PREFIX.len() + 8]));
    }

    #[test]
    fn parse_accepts_a_generated_token_and_returns_its_sha256() {
        let t = token(1);
        let hash = parse(&t.secret).unwrap();
        assert_eq!(hash, t.hash);
        let expected: [u8; 32] = Sha256::digest(t.secret.as_bytes()).into();
        assert_eq!(hash, expected);
    }

    #[test]
    fn different_random_bytes_give_different_tokens() {
        assert_ne!(token(1).secret, token(2).secret);
        assert_ne!(token(1).hash, token(2).hash);
    }

    #[test]
    fn every_flipped_character_after_the_prefix_is_refused() {
        let t = token(3);
        for i in PREFIX.len()..TOKEN_LEN {
            let mut bytes = t.secret.clone().into_bytes();
            bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
            let flipped = String::from_utf8(bytes).unwrap();
            assert_eq!(
                parse(&flipped),
                Err(TokenFormatError::ChecksumMismatch),
                "position {i}"
            );
        }
    }

    #[test]
    fn swapped_adjacent_characters_are_refused() {
        let t = token(4);
        let mut bytes = t.secret.clone().into_bytes();
        let i = PREFIX.len() + 5;
        if bytes[i] != bytes[i + 1] {
            bytes.swap(i, i + 1);
            assert!(parse(&String::from_utf8(bytes).unwrap()).is_err());
        }
    }

    #[test]
    fn malformed_tokens_get_the_right_error() {
        let t = token(5);
        assert_eq!(parse(""), Err(TokenFormatError::MissingPrefix));
        assert_eq!(
            parse(&t.secret.replace("humbol_scim_", "humbol_scam_")),
            Err(TokenFormatError::MissingPrefix)
        );
        assert_eq!(
            parse(&t.secret[..TOKEN_LEN - 1]),
            Err(TokenFormatError::WrongLength)
        );
        assert_eq!(
            parse(&format!("{}x", t.secret)),
            Err(TokenFormatError::WrongLength)
        );
        let mut bad = t.secret.clone().into_bytes();
        bad[20] = b'-';
        assert_eq!(
            parse(&String::from_utf8(bad).unwrap()),
            Err(TokenFormatError::InvalidCharacter)
        );
        // Multi-byte characters of the right byte length are refused without panicking.
        let multibyte = format!("{PREFIX}{}é", "a".repeat(RANDOM_LEN + CHECKSUM_LEN - 2));
        assert_eq!(multibyte.len(), TOKEN_LEN);
        assert_eq!(parse(&multibyte), Err(TokenFormatError::InvalidCharacter));
    }

    #[test]
    fn issued_tokens_keep_their_text() {
        // Written by an independent implementation (Python: int.from_bytes, zlib.crc32): tokens already issued
        // must keep parsing, so the encoding may not change.
        let t = from_random_bytes(&[7; RANDOM_BYTES]);
        assert_eq!(
            t.secret,
            "humbol_scim_4hRzgefUy8S7YcHUrJGoeiJTKldGueU34HE0wo"
        );
        assert_eq!(parse(&t.secret), Ok(t.hash));
    }

    #[test]
    fn base62_encoding_is_fixed_width_and_big_endian() {
        assert_eq!(&base62_fixed::<4, 6>([0, 0, 0, 0]), b"000000");
        assert_eq!(&base62_fixed::<4, 6>([0, 0, 0, 61]), b"00000z");
        assert_eq!(&base62_fixed::<4, 6>([0, 0, 0, 62]), b"000010");
        assert_eq!(&base62_fixed::<4, 6>(u32::MAX.to_be_bytes()), b"4gfFC3");
        // All-ones 192 bits: reduced modulo 62^32, still 32 alphanumeric characters.
        assert!(base62_fixed::<24, 32>([0xff; 24])
            .iter()
            .all(u8::is_ascii_alphanumeric));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let t = token(6);
        let shown = format!("{t:?}");
        assert!(!shown.contains(&t.secret));
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn other_prefixes_make_and_check_their_own_credentials() {
        let t = from_random_bytes_with_prefix("humbol_secret_", &[9; RANDOM_BYTES]);
        assert!(t.secret.starts_with("humbol_secret_"));
        assert!(t.hint.starts_with("humbol_secret_…"));
        assert_eq!(parse_with_prefix("humbol_secret_", &t.secret), Ok(t.hash));
        assert_eq!(parse(&t.secret), Err(TokenFormatError::MissingPrefix));
        let scim = token(9);
        assert!(parse_with_prefix("humbol_secret_", &scim.secret).is_err());
    }

    #[test]
    fn looks_like_token_matches_parse() {
        let t = token(8);
        assert!(looks_like_token(&t.secret));
        assert!(!looks_like_token("humbol_scim_short"));
    }
}
