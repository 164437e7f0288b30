//! Development tokens: HS256 JWTs signed with a secret the server shares with whoever mints
//! them (`userphoto-server token`). Anyone holding the secret can sign in as anyone, so a
//! deployment takes its tokens from an OpenID Connect issuer instead ([`super::oidc`]).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};

use super::Claims;
use crate::error::ApiError;

/// The HS256 secret, ready to sign and verify.
#[derive(Clone)]
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(HS256, secret hidden)")
    }
}

impl Keys {
    /// Keys for this shared secret.
    pub fn new(secret: &[u8]) -> Keys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp"]);
        Keys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    /// Signs a token for `user` with these space-separated `scopes`, valid for `ttl`.
    ///
    /// # Errors
    ///
    /// Only if signing fails, which HS256 does not.
    pub fn mint(
        &self,
        user: &str,
        scopes: &str,
        ttl: Duration,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let now = unix_now();
        self.sign(&Claims {
            upn: Some(user.to_owned()),
            scp: Some(scopes.to_owned()),
            exp: now + ttl.as_secs(),
            iat: Some(now),
            ..Claims::default()
        })
    }

    /// Signs these claims as they are.
    ///
    /// # Errors
    ///
    /// Only if signing fails, which HS256 does not.
    pub fn sign(&self, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
    }

    /// The claims of a token signed with this secret.
    ///
    /// # Errors
    ///
    /// 401 when the token is malformed, signed with another key or algorithm, or expired.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| ApiError::unauthenticated(format!("the token is not valid: {e}")))
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
