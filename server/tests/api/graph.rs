//! Microsoft Graph's profile photo API under /v1.0 and /beta: paths, camelCase fields,
//! Graph's scopes and error codes.

use crate::common;

use common::*;

const GRAPH: [&str; 2] = ["/v1.0", "/beta"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_graph_route() {
    let server = start().await;
    for base in GRAPH {
        let version = base.trim_start_matches('/');
        let user = format!("grace-{version}@contoso.com");
        let encoded = user.replace('@', "%40");
        let own = server.token(&user, "User.ReadWrite");
        let subjects = [
            "/me".to_owned(),
            format!("/users/{encoded}"),
            format!("/users/{}", user.to_uppercase()),
            format!("/users('{user}')"),
        ];

        // No photo: placeholder metadata, 404 ImageNotFound for the bytes, an empty list.
        for subject in &subjects {
            let photo = server.json(&format!("{base}{subject}/photo"), &own).await;
            assert_eq!(photo["id"], "1X1");
            assert_eq!(photo["width"], 1);
            assert_eq!(photo["height"], 1);
            assert_eq!(photo["@odata.mediaContentType"], "image/gif");
            assert_eq!(photo["@odata.mediaEtag"], "");
            assert!(photo.get("Id").is_none(), "Graph fields are camelCase");
            let value = server
                .get(&format!("{base}{subject}/photo/$value"), &own)
                .await;
            assert_eq!(value.status(), 404);
            assert_eq!(code(value).await, "ImageNotFound");
            let photos = server.json(&format!("{base}{subject}/photos"), &own).await;
            assert_eq!(photos["value"], serde_json::json!([]));
            let one = server
                .get(&format!("{base}{subject}/photos/48x48"), &own)
                .await;
            assert_eq!(one.status(), 404);
            assert_eq!(code(one).await, "ErrorItemNotFound");
        }

        let put = server
            .put(
                &format!("{base}/users/{encoded}/photo/$value"),
                &own,
                photo(504, 504, 11),
            )
            .await;
        assert_eq!(put.status(), 200);
        for subject in &subjects {
            let photo = server.json(&format!("{base}{subject}/photo"), &own).await;
            assert_eq!(
                photo["@odata.context"],
                format!(
                    "{}{base}/$metadata#users('{user}')/photo/$entity",
                    server.origin
                )
            );
            assert_eq!(photo["id"], "504X504");
            assert_eq!(photo["width"], 504);
            let photos = server.json(&format!("{base}{subject}/photos"), &own).await;
            assert_eq!(
                photos["@odata.context"],
                format!("{}{base}/$metadata#users('{user}')/photos", server.origin)
            );
            let list = listed(&photos);
            let ids: Vec<&str> = list.iter().map(|(id, _)| id.as_str()).collect();
            assert_eq!(
                ids,
                [
                    "48X48", "64X64", "96X96", "120X120", "240X240", "360X360", "432X432",
                    "504X504"
                ]
            );
            for (id, etag) in &list {
                let side: u32 = id.split('X').next().unwrap().parse().unwrap();
                for path in [format!("photos/{side}x{side}"), format!("photos('{id}')")] {
                    let one = server.json(&format!("{base}{subject}/{path}"), &own).await;
                    assert_eq!(one["id"], id.as_str());
                    assert_eq!(one["@odata.mediaEtag"], etag.as_str());
                }
                let bytes = server
                    .get(
                        &format!("{base}{subject}/photos/{side}x{side}/$value"),
                        &own,
                    )
                    .await;
                assert_eq!(bytes.status(), 200);
                assert_eq!(bytes.headers()["etag"], etag.as_str());
                let bytes = bytes.bytes().await.unwrap();
                assert_eq!(&crc_etag(&bytes), etag);
                assert_eq!(jpeg_size(&bytes), (side, side));
            }
            let missing = server
                .get(&format!("{base}{subject}/photos/648x648/$value"), &own)
                .await;
            assert_eq!(missing.status(), 404);
            assert_eq!(code(missing).await, "ErrorItemNotFound");
            let value = server
                .get(&format!("{base}{subject}/photo/$value"), &own)
                .await;
            assert_eq!(value.status(), 200);
            assert_eq!(jpeg_size(&value.bytes().await.unwrap()), (504, 504));
        }

        // PATCH works on both Graph versions.
        let patch = server
            .client
            .patch(server.url(&format!("{base}/me/photo/$value")))
            .bearer_auth(&own)
            .body(jpeg(700, 700, 12))
            .send()
            .await
            .unwrap();
        assert_eq!(patch.status(), 200);
        let photo = server.json(&format!("{base}/me/photo"), &own).await;
        assert_eq!(photo["id"], "648X648");

        // DELETE on photo and on photo/$value.
        for path in ["/me/photo", "/me/photo/$value"] {
            let put = server
                .put(&format!("{base}/me/photo/$value"), &own, photo_bytes())
                .await;
            assert_eq!(put.status(), 200);
            let delete = server
                .client
                .delete(server.url(&format!("{base}{path}")))
                .bearer_auth(&own)
                .send()
                .await
                .unwrap();
            assert_eq!(delete.status(), 204, "{path}");
            let value = server.get(&format!("{base}/me/photo/$value"), &own).await;
            assert_eq!(value.status(), 404);
        }
    }
}

fn photo_bytes() -> Vec<u8> {
    photo(96, 96, 13)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_scopes_and_errors() {
    let server = start().await;
    let me = "hal@contoso.com";
    let path_other = "/v1.0/users/ivy%40contoso.com/photo/$value";
    let cases: [(&str, bool, bool, bool, bool); 8] = [
        // scope, read own, read other, write own, write other
        ("User.Read", true, false, false, false),
        ("User.ReadBasic.All", true, true, false, false),
        ("User.Read.All", true, true, false, false),
        ("User.ReadWrite", true, false, true, false),
        ("User.ReadWrite.All", true, true, true, true),
        ("ProfilePhoto.Read.All", true, true, false, false),
        ("profilephoto.readwrite.all", true, true, true, true),
        ("Mail.Read", false, false, false, false),
    ];
    for (scope, read_own, read_other, write_own, write_other) in cases {
        let token = server.token(me, scope);
        for (path, expected) in [
            ("/v1.0/me/photo".to_owned(), read_own),
            ("/v1.0/users/ivy%40contoso.com/photo".to_owned(), read_other),
        ] {
            let response = server.get(&path, &token).await;
            if expected {
                assert_eq!(response.status(), 200, "{scope} GET {path}");
            } else {
                assert_eq!(response.status(), 403, "{scope} GET {path}");
                assert_eq!(code(response).await, "Authorization_RequestDenied");
            }
        }
        for (path, expected) in [
            ("/v1.0/me/photo/$value", write_own),
            (path_other, write_other),
        ] {
            let response = server.put(path, &token, photo(64, 64, 14)).await;
            if expected {
                assert_eq!(response.status(), 200, "{scope} PUT {path}");
            } else {
                assert_eq!(response.status(), 403, "{scope} PUT {path}");
                assert_eq!(code(response).await, "Authorization_RequestDenied");
            }
        }
    }

    let no_token = server
        .client
        .get(server.url("/v1.0/me/photo"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 401);
    assert_eq!(code(no_token).await, "InvalidAuthenticationToken");

    let token = server.token(me, "User.ReadWrite");
    let small = server
        .put("/v1.0/me/photo/$value", &token, photo(30, 30, 1))
        .await;
    assert_eq!(small.status(), 400);
    assert_eq!(code(small).await, "ValidationWidthTooSmall");
    let text = server
        .put("/v1.0/me/photo/$value", &token, b"plain text".to_vec())
        .await;
    assert_eq!(text.status(), 415);
}
