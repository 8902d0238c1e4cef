//! Web Push payload encryption: RFC 8291 (message encryption for Web Push)
//! on RFC 8188's `aes128gcm` content coding, one record.
//!
//! Each message gets a fresh sender key pair and salt; the browser's key
//! (`p256dh`) and auth secret come from its subscription. Only the browser
//! that holds the private key can read the payload: the push service in
//! between sees the length and nothing more.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use hkdf::Hkdf;
use p256::elliptic_curve::sec1::ToSec1Point;
use p256::{PublicKey, SecretKey};
use sha2::Sha256;

/// RFC 8188 §2: the record size written in the header. One record carries
/// the whole payload, which push services cap at 4096 bytes anyway.
const RECORD_SIZE: u32 = 4096;

/// The largest plaintext one record holds: the record size less the
/// 16-byte tag and the 1-byte delimiter (RFC 8291 §4).
pub(crate) const MAX_PLAINTEXT: usize = RECORD_SIZE as usize - 16 - 1;

/// Why a payload cannot be encrypted for a subscription.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EceError {
    /// The browser's `p256dh` is not an uncompressed P-256 point.
    #[error("the subscription's p256dh key is not a P-256 public key")]
    BadPublicKey,
    /// The auth secret is not 16 bytes.
    #[error("the subscription's auth secret is not 16 bytes")]
    BadAuthSecret,
    /// The payload does not fit in one record.
    #[error("the payload is {0} bytes, more than one record holds")]
    TooLong(usize),
}

/// What varies per message: the sender's one-time key and the salt. Random
/// in use; fixed in the tests, to reproduce RFC 8291 Appendix A.
pub(crate) struct Ephemeral {
    pub(crate) sender: SecretKey,
    pub(crate) salt: [u8; 16],
}

impl Ephemeral {
    /// A fresh key pair and salt from the operating system's generator.
    pub(crate) fn random() -> Result<Self, getrandom::Error> {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt)?;
        loop {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes)?;
            // Fails only for zero or a value past the group order: draw again.
            if let Ok(sender) = SecretKey::from_slice(&bytes) {
                return Ok(Self { sender, salt });
            }
        }
    }
}

/// Encrypts `plaintext` for the browser whose public key is `ua_public`
/// (65 bytes, uncompressed) and auth secret `auth_secret`: the body of the
/// push message, header and one record.
pub(crate) fn encrypt(
    plaintext: &[u8],
    ua_public: &[u8],
    auth_secret: &[u8],
    ephemeral: &Ephemeral,
) -> Result<Vec<u8>, EceError> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(EceError::TooLong(plaintext.len()));
    }
    if auth_secret.len() != 16 {
        return Err(EceError::BadAuthSecret);
    }
    let ua_key = PublicKey::from_sec1_bytes(ua_public).map_err(|_| EceError::BadPublicKey)?;
    let ua_point = ua_key.to_sec1_point(false);
    let as_public = ephemeral.sender.public_key().to_sec1_point(false);
    let shared =
        p256::ecdh::diffie_hellman(ephemeral.sender.to_nonzero_scalar(), ua_key.as_affine());

    // RFC 8291 §3.4: the auth secret and both public keys go into the IKM.
    let mut key_info = Vec::with_capacity(14 + 65 + 65);
    key_info.extend_from_slice(b"WebPush: info\0");
    key_info.extend_from_slice(ua_point.as_bytes());
    key_info.extend_from_slice(as_public.as_bytes());
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth_secret), shared.raw_secret_bytes())
        .expand(&key_info, &mut ikm)
        .map_err(|_| EceError::BadAuthSecret)?;

    // RFC 8188 §2.2 and §2.3: the content key and nonce from the salt.
    let prk = Hkdf::<Sha256>::new(Some(&ephemeral.salt), &ikm);
    let mut cek = [0u8; 16];
    let mut nonce = [0u8; 12];
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
        .and_then(|()| prk.expand(b"Content-Encoding: nonce\0", &mut nonce))
        .map_err(|_| EceError::BadAuthSecret)?;

    // One record, so it is the last: the delimiter is 2 (RFC 8188 §2).
    let mut padded = Vec::with_capacity(plaintext.len() + 1);
    padded.extend_from_slice(plaintext);
    padded.push(2);
    let cipher = Aes128Gcm::new_from_slice(&cek).map_err(|_| EceError::BadAuthSecret)?;
    let sealed = cipher
        .encrypt(&Nonce::from(nonce), padded.as_slice())
        .map_err(|_| EceError::TooLong(plaintext.len()))?;

    let mut body = Vec::with_capacity(16 + 4 + 1 + 65 + sealed.len());
    body.extend_from_slice(&ephemeral.salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(65);
    body.extend_from_slice(as_public.as_bytes());
    body.extend_from_slice(&sealed);
    Ok(body)
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    fn b64(text: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(text).unwrap()
    }

    /// RFC 8291 Appendix A, every input and the expected message verbatim.
    #[test]
    fn encryption_reproduces_rfc_8291_appendix_a() {
        let plaintext = b"When I grow up, I want to be a watermelon";
        let ephemeral = Ephemeral {
            sender: SecretKey::from_slice(&b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"))
                .unwrap(),
            salt: b64("DGv6ra1nlYgDCS1FRnbzlw").try_into().unwrap(),
        };
        assert_eq!(
            ephemeral.sender.public_key().to_sec1_point(false).as_bytes(),
            b64("BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8")
                .as_slice(),
            "the sender's public key of Appendix A"
        );
        let ua_public = b64(
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
        );
        let auth = b64("BTBZMqHH6r4Tts7J_aSIgg");
        let body = encrypt(plaintext, &ua_public, &auth, &ephemeral).unwrap();
        assert_eq!(
            URL_SAFE_NO_PAD.encode(body),
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
        );
    }

    #[test]
    fn a_payload_longer_than_one_record_is_refused() {
        let ephemeral = Ephemeral::random().unwrap();
        let ua = ephemeral.sender.public_key().to_sec1_point(false);
        let long = vec![b'x'; MAX_PLAINTEXT + 1];
        assert!(matches!(
            encrypt(&long, ua.as_bytes(), &[0; 16], &ephemeral),
            Err(EceError::TooLong(_))
        ));
    }
}
