//! Group photos under Graph's /v1.0 and /beta: the routes and sizes of users' photos, Graph's
//! group scopes, and 404 `ImageNotFound` for a group without a photo.

use crate::common;

use common::*;
use userphoto_server::auth::{Claims, Keys};

const GRAPH: [&str; 2] = ["/v1.0", "/beta"];

async fn delete(server: &TestServer, path: &str, token: &str) -> reqwest::Response {
    server
        .client
        .delete(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn assert_image_not_found(server: &TestServer, subject: &str, token: &str) {
    for path in [
        "photo",
        "photo/$value",
        "photos/48x48",
        "photos/48x48/$value",
    ] {
        let response = server.get(&format!("{subject}/{path}"), token).await;
        assert_eq!(response.status(), 404, "{subject}/{path}");
        assert_eq!(code(response).await, "ImageNotFound", "{subject}/{path}");
    }
    let photos = server.json(&format!("{subject}/photos"), token).await;
    assert_eq!(photos["value"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_group_route() {
    let server = start().await;
    for base in GRAPH {
        let version = base.trim_start_matches('/');
        let id = format!("0f3c9a2e-{version}-team");
        let token = server.token("owner@contoso.com", "Group.ReadWrite.All");
        let subjects = [
            format!("{base}/groups/{id}"),
            format!("{base}/groups('{id}')"),
            format!("{base}/Groups/{}", id.to_uppercase()),
        ];
        for subject in &subjects {
            assert_image_not_found(&server, subject, &token).await;
        }

        let put = server
            .put(
                &format!("{}/photo/$value", subjects[0]),
                &token,
                photo(300, 300, 21),
            )
            .await;
        assert_eq!(put.status(), 200);
        let etag = put.headers()["etag"].to_str().unwrap().to_owned();
        let stored: serde_json::Value = put.json().await.unwrap();
        assert_eq!(stored["id"], "240X240");
        assert_eq!(stored["@odata.mediaEtag"], etag.as_str());

        for subject in &subjects {
            let metadata = server.json(&format!("{subject}/photo"), &token).await;
            assert_eq!(
                metadata["@odata.context"],
                format!(
                    "{}{base}/$metadata#groups('{id}')/photo/$entity",
                    server.origin
                )
            );
            assert_eq!(metadata["id"], "240X240");
            assert_eq!(metadata["width"], 240);
            assert_eq!(metadata["@odata.mediaEtag"], etag.as_str());
            let photos = server.json(&format!("{subject}/photos"), &token).await;
            assert_eq!(
                photos["@odata.context"],
                format!("{}{base}/$metadata#groups('{id}')/photos", server.origin)
            );
            let list = listed(&photos);
            let ids: Vec<&str> = list.iter().map(|(id, _)| id.as_str()).collect();
            assert_eq!(ids, ["48X48", "64X64", "96X96", "120X120", "240X240"]);
            for (size_id, size_etag) in &list {
                let side: u32 = size_id.split('X').next().unwrap().parse().unwrap();
                let one = server
                    .json(&format!("{subject}/photos/{side}x{side}"), &token)
                    .await;
                assert_eq!(one["@odata.mediaEtag"], size_etag.as_str());
                let bytes = server
                    .get(&format!("{subject}/photos/{side}x{side}/$value"), &token)
                    .await;
                assert_eq!(bytes.status(), 200);
                assert_eq!(bytes.headers()["etag"], size_etag.as_str());
                let bytes = bytes.bytes().await.unwrap();
                assert_eq!(&crc_etag(&bytes), size_etag);
                assert_eq!(jpeg_size(&bytes), (side, side));
            }
            let value = server.get(&format!("{subject}/photo/$value"), &token).await;
            assert_eq!(value.status(), 200);
            assert_eq!(value.headers()["etag"], etag.as_str());
            assert_eq!(jpeg_size(&value.bytes().await.unwrap()), (240, 240));

            // A size the photo does not have is the size's 404, as for a user.
            let missing = server
                .get(&format!("{subject}/photos/360x360/$value"), &token)
                .await;
            assert_eq!(missing.status(), 404);
            assert_eq!(code(missing).await, "ErrorItemNotFound");

            let revalidated = server
                .client
                .get(server.url(&format!("{subject}/photo/$value")))
                .bearer_auth(&token)
                .header("if-none-match", &etag)
                .send()
                .await
                .unwrap();
            assert_eq!(revalidated.status(), 304);
            assert_eq!(revalidated.headers()["etag"], etag.as_str());
        }

        // A user named like the group has a photo of its own: none.
        let user_reader = server.token("reader@contoso.com", "User.ReadBasic.All");
        let user = server
            .get(&format!("{base}/users/{id}/photo/$value"), &user_reader)
            .await;
        assert_eq!(user.status(), 404);

        // PATCH replaces the photo.
        let patch = server
            .client
            .patch(server.url(&format!("{}/photo/$value", subjects[1])))
            .bearer_auth(&token)
            .body(jpeg(700, 700, 22))
            .send()
            .await
            .unwrap();
        assert_eq!(patch.status(), 200);
        let patched = server.json(&format!("{}/photo", subjects[2]), &token).await;
        assert_eq!(patched["id"], "648X648");

        // DELETE on photo and on photo/$value.
        for path in ["photo", "photo/$value"] {
            let put = server
                .put(
                    &format!("{}/photo/$value", subjects[0]),
                    &token,
                    photo(96, 96, 23),
                )
                .await;
            assert_eq!(put.status(), 200);
            let deleted = delete(&server, &format!("{}/{path}", subjects[0]), &token).await;
            assert_eq!(deleted.status(), 204, "{path}");
            assert_image_not_found(&server, &subjects[0], &token).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_scopes() {
    let server = start().await;
    let group = "/v1.0/groups/7d2e";
    let admin = server.token("admin@contoso.com", "Group.ReadWrite.All");
    let put = server
        .put(&format!("{group}/photo/$value"), &admin, photo(64, 64, 24))
        .await;
    assert_eq!(put.status(), 200);

    // scope, read, write
    let cases = [
        ("ProfilePhoto.Read.All", true, false),
        ("ProfilePhoto.ReadWrite.All", true, true),
        ("Group.Read.All", true, false),
        ("Group.ReadWrite.All", true, true),
        ("User.ReadWrite.All", false, false),
        ("User.Read", false, false),
    ];
    let keys = Keys::new(SECRET);
    for (scope, read, write) in cases {
        let delegated = server.token("member@contoso.com", scope);
        let application = keys
            .sign(&Claims {
                idtyp: Some("app".into()),
                azp: Some("directory-sync".into()),
                roles: vec![scope.to_owned()],
                exp: now() + 600,
                ..Claims::default()
            })
            .unwrap();
        for token in [&delegated, &application] {
            let response = server.get(&format!("{group}/photo/$value"), token).await;
            if read {
                assert_eq!(response.status(), 200, "{scope} GET");
            } else {
                assert_eq!(response.status(), 403, "{scope} GET");
                assert_eq!(code(response).await, "Authorization_RequestDenied");
            }
            let response = server
                .put(&format!("{group}/photo/$value"), token, photo(64, 64, 25))
                .await;
            if write {
                assert_eq!(response.status(), 200, "{scope} PUT");
            } else {
                assert_eq!(response.status(), 403, "{scope} PUT");
                assert_eq!(code(response).await, "Authorization_RequestDenied");
            }
            let response = delete(&server, &format!("{group}/photo"), token).await;
            if write {
                assert_eq!(response.status(), 204, "{scope} DELETE");
                let put = server
                    .put(&format!("{group}/photo/$value"), &admin, photo(64, 64, 24))
                    .await;
                assert_eq!(put.status(), 200);
            } else {
                assert_eq!(response.status(), 403, "{scope} DELETE");
            }
        }
    }

    // Group photos are Graph's: the Outlook bases have no such route.
    let outlook = server.get("/api/v2.0/groups('7d2e')/photo", &admin).await;
    assert_eq!(outlook.status(), 404);
    assert_eq!(code(outlook).await, "ResourceNotFound");
    // Group scopes open no user's photo.
    let user = server
        .get("/v1.0/users/admin%40contoso.com/photo", &admin)
        .await;
    assert_eq!(user.status(), 403);
}
