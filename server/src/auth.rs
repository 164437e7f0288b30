//! Bearer tokens (HS256 JWTs) and the scope table of SPEC §7.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{header, HeaderMap};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// The claims the server reads from a token, and writes into the tokens it mints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The signed-in user's principal name (e-mail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    /// The user, where the issuer writes it here instead of `upn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    /// The granted scopes, space-separated (`"User.Read User.ReadBasic.All"`).
    #[serde(default)]
    pub scp: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    /// Issued at, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
}

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
            preferred_username: None,
            scp: scopes.to_owned(),
            exp: now + ttl.as_secs(),
            iat: Some(now),
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

    /// The principal of a request's `Authorization: Bearer` header.
    ///
    /// # Errors
    ///
    /// 401 when the header is missing or not a bearer token, or the token is malformed,
    /// signed with another key or algorithm, expired, or names no user.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Principal, ApiError> {
        let value = headers.get(header::AUTHORIZATION).ok_or_else(|| {
            ApiError::unauthenticated("an Authorization: Bearer token is required")
        })?;
        let value = value
            .to_str()
            .map_err(|_| ApiError::unauthenticated("the Authorization header is not text"))?;
        let token = value
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .ok_or_else(|| {
                ApiError::unauthenticated("the Authorization header is not a Bearer token")
            })?;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| ApiError::unauthenticated(format!("the token is not valid: {e}")))?;
        Principal::from_claims(data.claims)
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Who a request acts for, and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user, lower-case.
    pub user: String,
    /// The scopes, lower-case.
    pub scopes: Vec<String>,
}

/// What an operation does to a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read metadata or bytes.
    Read,
    /// Set or delete the photo.
    Write,
}

/// Which scope vocabulary applies: the Outlook REST API's (SPEC §7) or Microsoft Graph's,
/// which adds the `ProfilePhoto.*` scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vocabulary {
    /// `/api/v2.0`, `/api/beta`.
    Outlook,
    /// `/v1.0`, `/beta`.
    Graph,
}

impl Principal {
    fn from_claims(claims: Claims) -> Result<Principal, ApiError> {
        let user = claims
            .upn
            .or(claims.preferred_username)
            .map(|u| u.trim().to_lowercase())
            .filter(|u| !u.is_empty())
            .ok_or_else(|| {
                ApiError::unauthenticated("the token names no user (upn or preferred_username)")
            })?;
        let scopes = claims
            .scp
            .split_ascii_whitespace()
            .map(str::to_ascii_lowercase)
            .collect();
        Ok(Principal { user, scopes })
    }

    /// Whether this principal may do `access` to the photo of `target` (lower-case).
    pub fn allows(&self, access: Access, target: &str, vocabulary: Vocabulary) -> bool {
        let own = self.user == target;
        self.scopes
            .iter()
            .any(|scope| scope_allows(scope, access, own, vocabulary))
    }

    /// `Ok` when [`allows`](Self::allows), else 403.
    ///
    /// # Errors
    ///
    /// 403 naming the scopes that would allow the operation.
    pub fn authorize(
        &self,
        access: Access,
        target: &str,
        vocabulary: Vocabulary,
    ) -> Result<(), ApiError> {
        if self.allows(access, target, vocabulary) {
            return Ok(());
        }
        let (what, needed) = match (access, self.user == target) {
            (Access::Read, true) => ("read your photo", "User.Read"),
            (Access::Read, false) => ("read another user's photo", "User.ReadBasic.All"),
            (Access::Write, true) => ("change your photo", "User.ReadWrite"),
            (Access::Write, false) => ("change another user's photo", "User.ReadWrite.All"),
        };
        let mut error = ApiError::forbidden(format!(
            "the token's scopes do not allow you to {what}; it needs {needed} or a broader scope"
        ));
        if vocabulary == Vocabulary::Graph {
            error.code = crate::error_code::ErrorCode::AUTHORIZATION_REQUEST_DENIED;
        }
        Err(error)
    }
}

/// The scope table of SPEC §7 (scopes already lower-case); Graph adds `ProfilePhoto.*`.
fn scope_allows(scope: &str, access: Access, own: bool, vocabulary: Vocabulary) -> bool {
    let scope = match (vocabulary, scope) {
        (Vocabulary::Graph, "profilephoto.read.all") => "user.read.all",
        (Vocabulary::Graph, "profilephoto.readwrite.all") => "user.readwrite.all",
        _ => scope,
    };
    match (access, own) {
        (Access::Read, true) => matches!(
            scope,
            "user.read"
                | "user.readwrite"
                | "user.readbasic.all"
                | "user.read.all"
                | "user.readwrite.all"
        ),
        (Access::Read, false) => matches!(
            scope,
            "user.readbasic.all" | "user.read.all" | "user.readwrite.all"
        ),
        (Access::Write, true) => matches!(scope, "user.readwrite" | "user.readwrite.all"),
        (Access::Write, false) => scope == "user.readwrite.all",
    }
}

/// Parses a lifetime such as `90s`, `15m`, `1h`, `7d` (a bare number is seconds).
///
/// # Errors
///
/// A message when the text is not a number with one of those units.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 90s, 15m, 1h or 7d"))?;
    let factor = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{text:?} has an unknown unit; use s, m, h or d")),
    };
    number
        .checked_mul(factor)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?} is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("h").is_err());
    }

    #[test]
    fn profile_photo_scopes_only_on_graph() {
        let p = Principal {
            user: "a@x.com".into(),
            scopes: vec!["profilephoto.readwrite.all".into()],
        };
        assert!(p.allows(Access::Write, "b@x.com", Vocabulary::Graph));
        assert!(!p.allows(Access::Read, "a@x.com", Vocabulary::Outlook));
    }

    #[test]
    fn minted_tokens_verify() {
        let keys = Keys::new(b"secret");
        let token = keys
            .mint("Alice@Contoso.com", "User.Read", Duration::from_secs(60))
            .unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        let principal = keys.authenticate(&headers).unwrap();
        assert_eq!(principal.user, "alice@contoso.com");
        assert_eq!(principal.scopes, ["user.read"]);
        let other = Keys::new(b"other");
        assert!(other.authenticate(&headers).is_err());
    }
}
