//! The scope table of SPEC §7, exhaustively: every scope × own/other user × read/write/delete
//! on both versions, and every way a token can be missing or bad.

use crate::common;

use common::*;
use userphoto_server::auth::{Claims, Keys};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Read,
    Write,
    Delete,
}

/// SPEC §7's table, written out: which scopes allow each operation.
fn allowed(scope: &str, op: Op, own: bool) -> bool {
    let scope = scope.to_ascii_lowercase();
    let read_own = [
        "user.read",
        "user.readwrite",
        "user.readbasic.all",
        "user.read.all",
        "user.readwrite.all",
    ];
    let read_any = ["user.readbasic.all", "user.read.all", "user.readwrite.all"];
    let write_own = ["user.readwrite", "user.readwrite.all"];
    let write_any = ["user.readwrite.all"];
    let list: &[&str] = match (op, own) {
        (Op::Read, true) => &read_own,
        (Op::Read, false) => &read_any,
        (_, true) => &write_own,
        (_, false) => &write_any,
    };
    list.contains(&scope.as_str())
}

const SCOPES: [&str; 11] = [
    "",
    "User.Read",
    "User.ReadWrite",
    "User.ReadBasic.All",
    "User.Read.All",
    "User.ReadWrite.All",
    // Case does not matter.
    "USER.READWRITE",
    "user.readbasic.all",
    // Scopes that grant nothing here: unrelated ones, and Graph's photo scopes, which the
    // Outlook routes do not know.
    "Mail.Read",
    "ProfilePhoto.ReadWrite.All",
    "User.ReadWrite.All.Extra",
];

async fn send(server: &TestServer, op: Op, path: &str, token: &str) -> reqwest::Response {
    let request = match op {
        Op::Read => server.client.get(server.url(path)),
        Op::Write => server.client.put(server.url(path)).body(photo(64, 64, 9)),
        Op::Delete => server.client.delete(server.url(path)),
    };
    request.bearer_auth(token).send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scope_matrix() {
    let server = start().await;
    let me = "mia@contoso.com";
    let other = "otto@contoso.com";
    let mut checked = 0;
    for base in OUTLOOK {
        for scope in SCOPES {
            let token = server.token(me, scope);
            let targets = [
                ("/me", true),
                ("/Users('MIA@contoso.com')", true),
                ("/users('otto@contoso.com')", false),
            ];
            for (subject, own) in targets {
                for op in [Op::Read, Op::Write, Op::Delete] {
                    let path = match op {
                        Op::Read => format!("{base}{subject}/photo"),
                        _ => format!("{base}{subject}/photo/$value"),
                    };
                    let response = send(&server, op, &path, &token).await;
                    let expected = allowed(scope, op, own);
                    let status = response.status().as_u16();
                    if expected {
                        let ok = match op {
                            Op::Read | Op::Write => 200,
                            Op::Delete => 204,
                        };
                        assert_eq!(status, ok, "{scope:?} {op:?} {path}");
                    } else {
                        assert_eq!(status, 403, "{scope:?} {op:?} {path}");
                        let body: serde_json::Value = response.json().await.unwrap();
                        assert_eq!(body["error"]["code"], "ErrorAccessDenied");
                    }
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 2 * SCOPES.len() * 3 * 3);
    let _ = other;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_scopes_in_one_token() {
    let server = start().await;
    // Read-any plus write-own: may read others, may not write them.
    let token = server.token(
        "mia@contoso.com",
        "openid User.ReadBasic.All  User.ReadWrite",
    );
    let read = send(
        &server,
        Op::Read,
        "/api/v2.0/users('x@contoso.com')/photo",
        &token,
    )
    .await;
    assert_eq!(read.status(), 200);
    let write = send(
        &server,
        Op::Write,
        "/api/v2.0/users('x@contoso.com')/photo/$value",
        &token,
    )
    .await;
    assert_eq!(write.status(), 403);
    let own = send(&server, Op::Write, "/api/v2.0/me/photo/$value", &token).await;
    assert_eq!(own.status(), 200);
}

fn claims(user: Option<&str>, exp: u64) -> Claims {
    Claims {
        upn: user.map(str::to_owned),
        scp: Some("User.ReadWrite.All".into()),
        exp,
        ..Claims::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_and_bad_tokens_are_401() {
    let server = start().await;
    let keys = Keys::new(SECRET);
    let expired = keys
        .sign(&claims(Some("mia@contoso.com"), now() - 3600))
        .unwrap();
    let wrong_key = Keys::new(b"another secret entirely, not the server's")
        .sign(&claims(Some("mia@contoso.com"), now() + 3600))
        .unwrap();
    let no_user = keys.sign(&claims(None, now() + 3600)).unwrap();
    let hs512 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512),
        &claims(Some("mia@contoso.com"), now() + 3600),
        &jsonwebtoken::EncodingKey::from_secret(SECRET),
    )
    .unwrap();
    let good = server.token("mia@contoso.com", "User.ReadWrite.All");
    // The good token with its signature altered.
    let mut tampered = good.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    // A token signed for one user, with its payload replaced by another user's.
    let forged = {
        let other = server.token("root@contoso.com", "User.ReadWrite.All");
        let parts: Vec<&str> = good.split('.').collect();
        let other_parts: Vec<&str> = other.split('.').collect();
        format!("{}.{}.{}", parts[0], other_parts[1], parts[2])
    };

    let cases: Vec<(&str, Option<String>)> = vec![
        ("no Authorization header", None),
        ("empty bearer", Some("Bearer ".into())),
        ("basic scheme", Some(format!("Basic {good}"))),
        ("garbage", Some("Bearer not.a.token".into())),
        ("expired", Some(format!("Bearer {expired}"))),
        ("wrong signature", Some(format!("Bearer {wrong_key}"))),
        ("tampered signature", Some(format!("Bearer {tampered}"))),
        ("forged payload", Some(format!("Bearer {forged}"))),
        ("other algorithm", Some(format!("Bearer {hs512}"))),
        ("no user", Some(format!("Bearer {no_user}"))),
    ];
    for (name, header) in &cases {
        for base in OUTLOOK {
            for (method, path) in [
                (reqwest::Method::GET, format!("{base}/me/photo")),
                (
                    reqwest::Method::GET,
                    format!("{base}/users('a@b.com')/photo/$value"),
                ),
                (reqwest::Method::PUT, format!("{base}/me/photo/$value")),
                (reqwest::Method::DELETE, format!("{base}/me/photo/$value")),
            ] {
                let mut request = server.client.request(method.clone(), server.url(&path));
                if let Some(header) = header {
                    request = request.header("Authorization", header);
                }
                if method == reqwest::Method::PUT {
                    request = request.body(photo(64, 64, 1));
                }
                let response = request.send().await.unwrap();
                assert_eq!(response.status(), 401, "{name}: {method} {path}");
                assert_eq!(response.headers()["www-authenticate"], "Bearer");
                let body: serde_json::Value = response.json().await.unwrap();
                assert_eq!(
                    body["error"]["code"], "InvalidAuthenticationToken",
                    "{name}"
                );
            }
        }
    }
    // The same request with the good token works, so the 401s above were the token's doing.
    assert_eq!(server.get("/api/v2.0/me/photo", &good).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preferred_username_names_the_user() {
    let server = start().await;
    let keys = Keys::new(SECRET);
    let token = keys
        .sign(&Claims {
            preferred_username: Some("Pat@Contoso.com".into()),
            scp: Some("User.ReadWrite".into()),
            exp: now() + 600,
            ..Claims::default()
        })
        .unwrap();
    let put = server
        .put("/api/v2.0/me/photo/$value", &token, photo(64, 64, 2))
        .await;
    assert_eq!(put.status(), 200);
    let reader = server.token("x@contoso.com", "User.ReadBasic.All");
    let photo = server
        .json("/api/v2.0/users('pat@contoso.com')/photo", &reader)
        .await;
    assert_eq!(photo["Id"], "64X64");
}
