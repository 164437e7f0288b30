//! Every Outlook route on both versions, over real HTTP on loopback.

use crate::common;

use std::sync::Arc;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_in_memory() {
    let server = start().await;
    core_scenario(&server, "memory").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_on_local_disk() {
    let dir = std::env::temp_dir().join(format!("userphoto-server-test-{}", std::process::id()));
    let store = userphoto_server::store::open_dir(&dir).unwrap();
    let server = start_with(store, userphoto_server::Config::default()).await;
    core_scenario(&server, "disk").await;
    // Only the pointer-less user folders may remain: no set outlives a delete.
    let leftovers: Vec<_> = walk(&dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "jpg" || e == "json"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                files.extend(walk(&path));
            } else {
                files.push(path);
            }
        }
    }
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditional_get() {
    let server = start().await;
    let token = server.token("carol@contoso.com", "User.ReadWrite");
    let put = server
        .put("/api/v2.0/me/photo/$value", &token, photo(300, 300, 7))
        .await;
    assert_eq!(put.status(), 200);

    for path in [
        "/api/v2.0/me/photo/$value",
        "/api/beta/me/photos('240x240')/$value",
    ] {
        let first = server.get(path, &token).await;
        assert_eq!(first.status(), 200);
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();

        let again = server
            .client
            .get(server.url(path))
            .bearer_auth(&token)
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.headers()["etag"], etag.as_str());
        assert!(again.bytes().await.unwrap().is_empty());

        // A list holding the tag, and `*`, match too; another tag does not.
        for (header, status) in [
            (format!("\"00000000\", {etag}"), 304),
            ("*".to_owned(), 304),
            ("\"00000000\"".to_owned(), 200),
        ] {
            let response = server
                .client
                .get(server.url(path))
                .bearer_auth(&token)
                .header("If-None-Match", header.as_str())
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), status, "{path} If-None-Match: {header}");
        }
    }

    let old = server.get("/api/v2.0/me/photo/$value", &token).await;
    let old_etag = old.headers()["etag"].to_str().unwrap().to_owned();
    let put = server
        .put("/api/v2.0/me/photo/$value", &token, photo(300, 300, 8))
        .await;
    assert_eq!(put.status(), 200);
    let after = server
        .client
        .get(server.url("/api/v2.0/me/photo/$value"))
        .bearer_auth(&token)
        .header("If-None-Match", &old_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 200);
    let new_etag = after.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_etag, old_etag);
    assert_eq!(crc_etag(&after.bytes().await.unwrap()), new_etag);

    // The placeholder has no ETag, so nothing makes it 304.
    let other = server.token("dave@contoso.com", "User.Read");
    let placeholder = server
        .client
        .get(server.url("/api/v2.0/me/photo/$value"))
        .bearer_auth(&other)
        .header("If-None-Match", "*")
        .send()
        .await
        .unwrap();
    assert_eq!(placeholder.status(), 200);
    assert!(placeholder.headers().get("etag").is_none());
}

/// Each bad upload gets its status and OData code, and the previous photo stays served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_uploads_leave_the_photo_alone() {
    let server = start().await;
    let token = server.token("erin@contoso.com", "User.ReadWrite");
    let put = server
        .put("/api/v2.0/me/photo/$value", &token, photo(504, 504, 4))
        .await;
    assert_eq!(put.status(), 200);
    let before = assert_photo(&server, "/api/v2.0", "/me", &token, 504).await;

    let good_jpeg = jpeg(600, 600, 5);
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("empty", Vec::new(), 400, "ErrorInvalidImage"),
        (
            "text",
            b"hello, this is not a photo\n".to_vec(),
            415,
            "UnsupportedMediaType",
        ),
        (
            "pdf",
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec(),
            415,
            "UnsupportedMediaType",
        ),
        (
            "truncated JPEG",
            good_jpeg[..good_jpeg.len() / 3].to_vec(),
            400,
            "ErrorInvalidImage",
        ),
        (
            "too small",
            photo(40, 300, 6),
            400,
            "ValidationWidthTooSmall",
        ),
    ];
    for (name, body, status, code) in cases {
        for base in OUTLOOK {
            let response = server
                .put(&format!("{base}/me/photo/$value"), &token, body.clone())
                .await;
            assert_eq!(response.status(), status, "{name}");
            let error: serde_json::Value = response.json().await.unwrap();
            assert_eq!(error["error"]["code"], code, "{name}");
            assert!(!error["error"]["message"].as_str().unwrap().is_empty());
            assert_eq!(
                assert_photo(&server, "/api/v2.0", "/me", &token, 504).await,
                before,
                "{name} changed the photo"
            );
        }
    }
}

/// Sends a raw HTTP/1.1 upload (the client must not wait for the body to be taken, which
/// HTTP client libraries do) and returns the answer's status line and headers; then checks
/// that the photo uploaded before is still served unchanged.
async fn raw_upload(request_head: &str, body: Vec<u8>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = start().await;
    let token = server.token("frank@contoso.com", "User.ReadWrite");
    let put = server
        .put("/api/v2.0/me/photo/$value", &token, photo(120, 120, 3))
        .await;
    assert_eq!(put.status(), 200);
    let before = assert_photo(&server, "/api/v2.0", "/me", &token, 120).await;

    let address = server.origin.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = request_head
        .replace("{token}", &token)
        .replace("{host}", &address);
    let (mut read_half, mut write_half) = socket.split();
    let send = async {
        // The server may close before taking it all: a failed write is expected.
        let _ = write_half.write_all(head.as_bytes()).await;
        let _ = write_half.write_all(&body).await;
    };
    let receive = async {
        let mut answer = Vec::new();
        let mut buffer = [0u8; 4096];
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            match read_half.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
        String::from_utf8_lossy(&answer).into_owned()
    };
    let ((), answer) = tokio::join!(send, receive);
    assert_eq!(
        assert_photo(&server, "/api/v2.0", "/me", &token, 120).await,
        before,
        "a refused upload changed the photo"
    );
    answer
}

/// A declared length over the limit is answered 413 at once, before the body is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declared_length_over_the_limit_is_refused_unread() {
    let limit = userphoto_server::DEFAULT_BODY_LIMIT;
    let head = format!(
        "PUT /api/v2.0/me/photo/$value HTTP/1.1\r\nHost: {{host}}\r\nAuthorization: Bearer {{token}}\r\nContent-Length: {}\r\n\r\n",
        limit + 1
    );
    // Only three bytes of the body follow: the answer must come without the rest.
    let answer = raw_upload(&head, vec![0xFF, 0xD8, 0xFF]).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
}

/// A chunked body (no declared length) is counted as it arrives and refused once past the
/// limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_body_over_the_limit_is_refused() {
    let limit = userphoto_server::DEFAULT_BODY_LIMIT as usize;
    let head = "PUT /api/beta/me/photo/$value HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nTransfer-Encoding: chunked\r\n\r\n";
    let chunk = vec![0xAB; 64 << 10];
    let mut body = Vec::new();
    let mut sent = 0;
    while sent <= limit {
        body.extend_from_slice(format!("{:X}\r\n", chunk.len()).as_bytes());
        body.extend_from_slice(&chunk);
        body.extend_from_slice(b"\r\n");
        sent += chunk.len();
    }
    body.extend_from_slice(b"0\r\n\r\n");
    let answer = raw_upload(head, body).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_and_methods() {
    let server = start().await;
    let token = server.token("gina@contoso.com", ALL_SCOPES);
    for path in ["/api/v2.0/me/photograph", "/api/v3.0/me/photo", "/nothing"] {
        let response = server.get(path, &token).await;
        assert_eq!(response.status(), 404, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "ResourceNotFound");
    }
    // PUT goes to photo/$value only.
    let response = server
        .put("/api/v2.0/me/photos", &token, photo(64, 64, 1))
        .await;
    assert_eq!(response.status(), 405);
    let health = server
        .client
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

/// `body_limit` is configurable, and an upload of exactly the limit is accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_body_limit_boundary() {
    let body = photo(64, 64, 21);
    for (limit, status) in [(body.len() as u64, 200), (body.len() as u64 - 1, 413)] {
        let config = userphoto_server::Config {
            body_limit: limit,
            max_concurrent_ingests: 1,
            ..userphoto_server::Config::default()
        };
        let server = start_with(Arc::new(object_store::memory::InMemory::new()), config).await;
        let token = server.token("hana@contoso.com", "User.ReadWrite");
        let response = server
            .put("/api/v2.0/me/photo/$value", &token, body.clone())
            .await;
        assert_eq!(response.status(), status, "limit {limit}");
    }
}
