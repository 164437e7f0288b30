//! Tokens from an OpenID Connect issuer, checked the way a resource server checks them
//! (RFC 8725, JWT best current practice; RFC 9068, JWT access tokens):
//!
//! - the issuer's discovery document (`/.well-known/openid-configuration`) names its `issuer`,
//!   which must be the one configured, and its `jwks_uri`, the key set;
//! - a token is signed RS256 or ES256 with a key of that set, of the matching type; `none`,
//!   the HMAC algorithms (whose "secret" an attacker would take from the public key) and every
//!   other algorithm are refused before any key is looked at;
//! - `iss` is the issuer's, `aud` one of the configured audiences, `exp` in the future and
//!   `nbf` (when present) in the past, each within [`LEEWAY`] of the clock;
//! - the key set is cached; a token naming a key id the cache lacks fetches it again (the
//!   issuer has rotated its keys), at most once every [`REFETCH_INTERVAL`] so that tokens with
//!   made-up key ids cannot make the server hammer the issuer.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::Claims;
use crate::error::ApiError;

/// How far `exp` and `nbf` may be off the server's clock.
pub const LEEWAY: Duration = Duration::from_secs(60);

/// The shortest time between two fetches of the key set caused by unknown key ids.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(60);

/// How long a fetch from the issuer may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the issuer could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An address of the issuer is not HTTPS (plain HTTP is allowed on loopback only).
    #[error("{0} is not an https:// address (plain http is accepted on loopback only)")]
    Insecure(String),
    /// A document could not be fetched.
    #[error("fetching {url}: {source}")]
    Fetch {
        /// What was fetched.
        url: String,
        /// Why it failed.
        source: reqwest::Error,
    },
    /// The discovery document names another issuer than the one configured.
    #[error("the discovery document of {configured} names the issuer {discovered}")]
    IssuerMismatch {
        /// The issuer configured.
        configured: String,
        /// The `issuer` of its discovery document.
        discovered: String,
    },
    /// The key set holds no RS256 or ES256 signing key.
    #[error("the key set at {0} holds no RS256 or ES256 signing key")]
    NoKeys(String),
}

/// What the server is told about its issuer.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The issuer URL (`https://login.microsoftonline.com/<tenant>/v2.0`).
    pub issuer: String,
    /// The audiences a token may be for; at least one must be in its `aud`.
    pub audiences: Vec<String>,
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

#[derive(Deserialize)]
struct JwkSet {
    keys: Vec<serde_json::Value>,
}

/// One verification key of the issuer.
struct Key {
    id: Option<String>,
    algorithm: Algorithm,
    key: DecodingKey,
}

/// The issuer's keys as last fetched.
struct KeySet {
    keys: Vec<Key>,
    /// Counts the fetches, so that a request that waited for another one's fetch uses it.
    generation: u64,
}

/// An OpenID Connect issuer whose tokens the server accepts.
pub struct Issuer {
    issuer: String,
    jwks_uri: String,
    audiences: Vec<String>,
    http: reqwest::Client,
    keys: RwLock<Arc<KeySet>>,
    /// When the key set was last fetched because of an unknown key id; held while fetching.
    refetched: tokio::sync::Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("issuer", &self.issuer)
            .field("jwks_uri", &self.jwks_uri)
            .field("audiences", &self.audiences)
            .finish_non_exhaustive()
    }
}

/// Refuses plain HTTP except to this machine, where tests and sidecars run.
fn secure(url: &str) -> Result<reqwest::Url, Error> {
    let parsed = reqwest::Url::parse(url).map_err(|_| Error::Insecure(url.to_owned()))?;
    let host = parsed.host_str().unwrap_or("");
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if parsed.scheme() == "https" || (parsed.scheme() == "http" && loopback) {
        Ok(parsed)
    } else {
        Err(Error::Insecure(url.to_owned()))
    }
}

async fn fetch<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
) -> Result<T, Error> {
    let failed = |source| Error::Fetch {
        url: url.to_owned(),
        source,
    };
    http.get(secure(url)?)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(failed)?
        .json()
        .await
        .map_err(failed)
}

/// The key a JWK describes, when it is an RS256 or ES256 signing key; others are skipped.
fn usable(value: serde_json::Value) -> Option<Key> {
    let jwk: Jwk = serde_json::from_value(value).ok()?;
    if jwk
        .common
        .public_key_use
        .as_ref()
        .is_some_and(|u| *u != PublicKeyUse::Signature)
    {
        return None;
    }
    let algorithm = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
            Algorithm::ES256
        }
        _ => return None,
    };
    let declared = jwk.common.key_algorithm;
    let matches = match declared {
        None => true,
        Some(KeyAlgorithm::RS256) => algorithm == Algorithm::RS256,
        Some(KeyAlgorithm::ES256) => algorithm == Algorithm::ES256,
        Some(_) => false,
    };
    if !matches {
        return None;
    }
    Some(Key {
        id: jwk.common.key_id.clone(),
        algorithm,
        key: DecodingKey::from_jwk(&jwk).ok()?,
    })
}

/// The `alg` and `kid` of a token's header, read before anything else so that the
/// algorithm is refused by name.
fn header(token: &str) -> Result<(String, Option<String>), ApiError> {
    #[derive(Deserialize)]
    struct Header {
        alg: String,
        kid: Option<String>,
    }
    let malformed = || ApiError::unauthenticated("the token is not a signed JWT");
    let (encoded, _) = token.split_once('.').ok_or_else(malformed)?;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded.trim_end_matches('='))
        .map_err(|_| malformed())?;
    let header: Header = serde_json::from_slice(&json).map_err(|_| malformed())?;
    Ok((header.alg, header.kid))
}

fn rejected(error: &jsonwebtoken::errors::Error) -> ApiError {
    use jsonwebtoken::errors::ErrorKind as Kind;
    let message = match error.kind() {
        Kind::ExpiredSignature => "the token has expired".to_owned(),
        Kind::ImmatureSignature => "the token is not valid yet (nbf)".to_owned(),
        Kind::InvalidAudience => "the token is for another audience".to_owned(),
        Kind::InvalidIssuer => "the token is from another issuer".to_owned(),
        Kind::InvalidSignature => "the token's signature does not verify".to_owned(),
        Kind::MissingRequiredClaim(claim) => format!("the token has no {claim} claim"),
        _ => format!("the token is not valid: {error}"),
    };
    ApiError::unauthenticated(message)
}

impl Issuer {
    /// Reads the issuer's discovery document and key set.
    ///
    /// # Errors
    ///
    /// The issuer or its key set cannot be fetched, is not HTTPS (outside loopback), names
    /// another issuer, or publishes no RS256 or ES256 signing key.
    pub async fn discover(settings: Settings) -> Result<Issuer, Error> {
        let http = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .build()
            .map_err(|source| Error::Fetch {
                url: settings.issuer.clone(),
                source,
            })?;
        let configured = settings.issuer.trim_end_matches('/');
        let url = format!("{configured}/.well-known/openid-configuration");
        let discovery: Discovery = fetch(&http, &url).await?;
        if discovery.issuer.trim_end_matches('/') != configured {
            return Err(Error::IssuerMismatch {
                configured: settings.issuer,
                discovered: discovery.issuer,
            });
        }
        secure(&discovery.jwks_uri)?;
        let issuer = Issuer {
            issuer: discovery.issuer,
            jwks_uri: discovery.jwks_uri,
            audiences: settings.audiences,
            http,
            keys: RwLock::new(Arc::new(KeySet {
                keys: Vec::new(),
                generation: 0,
            })),
            refetched: tokio::sync::Mutex::new(None),
        };
        let keys = issuer.fetch_keys().await?;
        if keys.is_empty() {
            return Err(Error::NoKeys(issuer.jwks_uri));
        }
        issuer.install(keys);
        Ok(issuer)
    }

    /// The issuer, as its discovery document writes it (and tokens must).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    async fn fetch_keys(&self) -> Result<Vec<Key>, Error> {
        let set: JwkSet = fetch(&self.http, &self.jwks_uri).await?;
        Ok(set.keys.into_iter().filter_map(usable).collect())
    }

    fn install(&self, keys: Vec<Key>) {
        let mut current = self.keys.write().expect("key set lock poisoned");
        let generation = current.generation + 1;
        tracing::info!(
            jwks = %self.jwks_uri,
            keys = keys.len(),
            generation,
            "issuer keys fetched"
        );
        *current = Arc::new(KeySet { keys, generation });
    }

    fn current(&self) -> Arc<KeySet> {
        self.keys.read().expect("key set lock poisoned").clone()
    }

    /// Fetches the key set again unless another request just did (then its set is used) or
    /// the last such fetch is under [`REFETCH_INTERVAL`] old. Whether a newer set is there.
    async fn refetch(&self, seen: u64) -> bool {
        let mut last = self.refetched.lock().await;
        if self.current().generation != seen {
            return true;
        }
        if last.is_some_and(|at| at.elapsed() < REFETCH_INTERVAL) {
            return false;
        }
        *last = Some(Instant::now());
        match self.fetch_keys().await {
            Ok(keys) => {
                self.install(keys);
                true
            }
            Err(error) => {
                tracing::warn!(%error, "could not fetch the issuer's keys again");
                false
            }
        }
    }

    fn validation(&self, algorithm: Algorithm) -> Validation {
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY.as_secs();
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&self.audiences);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation
    }

    /// The claims of a token this issuer signed for one of the audiences.
    ///
    /// # Errors
    ///
    /// 401 naming why the token is refused: its algorithm, an unknown key, its signature, its
    /// issuer, audience, expiry or `nbf`.
    pub async fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let (alg, kid) = header(token)?;
        let algorithm = match alg.as_str() {
            "RS256" => Algorithm::RS256,
            "ES256" => Algorithm::ES256,
            _ => {
                return Err(ApiError::unauthenticated(format!(
                    "tokens signed with {alg:?} are not accepted, only RS256 and ES256"
                )))
            }
        };
        let mut keys = self.current();
        let candidates = |keys: &KeySet| -> Vec<usize> {
            (0..keys.keys.len())
                .filter(|&i| {
                    let key = &keys.keys[i];
                    key.algorithm == algorithm && (kid.is_none() || key.id == kid)
                })
                .collect()
        };
        let mut found = candidates(&keys);
        if found.is_empty() && kid.is_some() && self.refetch(keys.generation).await {
            keys = self.current();
            found = candidates(&keys);
        }
        if found.is_empty() {
            return Err(ApiError::unauthenticated(format!(
                "the token is signed with a key the issuer does not publish ({alg}, kid {})",
                kid.as_deref().unwrap_or("none")
            )));
        }
        let validation = self.validation(algorithm);
        let mut refusal = None;
        for i in found {
            match jsonwebtoken::decode::<Claims>(token, &keys.keys[i].key, &validation) {
                Ok(data) => return Ok(data.claims),
                Err(error) => refusal = Some(rejected(&error)),
            }
        }
        Err(refusal.expect("at least one key was tried"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback() {
        for ok in [
            "https://login.example/tenant/v2.0",
            "http://127.0.0.1:8080",
            "http://localhost/x",
            "http://[::1]:9/",
        ] {
            assert!(secure(ok).is_ok(), "{ok}");
        }
        for bad in ["http://idp.example", "ftp://127.0.0.1/", "not a url"] {
            assert!(secure(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_of_other_types_are_skipped() {
        let rsa = serde_json::json!({"kty": "RSA", "kid": "r", "use": "sig", "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw", "e": "AQAB"});
        assert!(usable(rsa.clone()).is_some());
        let mut encryption = rsa.clone();
        encryption["use"] = "enc".into();
        assert!(usable(encryption).is_none());
        let mut other_alg = rsa;
        other_alg["alg"] = "RS512".into();
        assert!(usable(other_alg).is_none());
        let hmac = serde_json::json!({"kty": "oct", "kid": "h", "k": "c2VjcmV0"});
        assert!(usable(hmac).is_none());
    }

    #[test]
    fn headers() {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let token = format!("{}.e30.", b64(r#"{"alg":"none"}"#));
        assert_eq!(header(&token).unwrap(), ("none".to_owned(), None));
        let token = format!("{}.e30.sig", b64(r#"{"alg":"ES256","kid":"k1"}"#));
        assert_eq!(
            header(&token).unwrap(),
            ("ES256".to_owned(), Some("k1".to_owned()))
        );
        assert!(header("garbage").is_err());
    }
}
