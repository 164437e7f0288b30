//! Graph's JSON batching, `POST /v1.0/$batch` and `/beta/$batch`, over raw HTTP: the limits
//! and errors of the batch as a whole, each request authorised on its own, `$value` bodies
//! base64-encoded to the bytes and ETag of the direct route, and `dependsOn` order.

use base64::Engine;
use serde_json::{json, Value};

use crate::common;

use common::*;

const GRAPH: [&str; 2] = ["/v1.0", "/beta"];

async fn batch(server: &TestServer, base: &str, token: &str, body: &Value) -> reqwest::Response {
    server
        .client
        .post(server.url(&format!("{base}/$batch")))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// The batch's responses by id, after checking the batch itself answered 200.
async fn responses(response: reqwest::Response) -> Vec<Value> {
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["responses"]
        .as_array()
        .expect("a responses array")
        .clone()
}

fn by_id<'a>(responses: &'a [Value], id: &str) -> &'a Value {
    responses
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no response {id} in {responses:?}"))
}

fn decoded(response: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(response["body"].as_str().expect("a base64 body"))
        .expect("valid base64")
}

async fn error_code(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (status, body["error"]["code"].as_str().unwrap().to_owned())
}

fn read(id: &str, url: &str) -> Value {
    json!({ "id": id, "method": "GET", "url": url })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photo_values_come_base64_encoded_with_the_direct_routes_bytes_and_etags() {
    let server = start().await;
    let admin = server.token("admin@contoso.com", "ProfilePhoto.ReadWrite.All");
    let users = ["ada@contoso.com", "ben@contoso.com", "cy@contoso.com"];
    for (seed, user) in users.iter().enumerate() {
        let put = server
            .put(
                &format!("/v1.0/users/{user}/photo/$value"),
                &admin,
                jpeg(400, 400, seed as u32),
            )
            .await;
        assert_eq!(put.status(), 200);
    }
    for base in GRAPH {
        let mut requests: Vec<Value> = users
            .iter()
            .map(|user| read(user, &format!("/users/{user}/photo/$value")))
            .collect();
        requests.push(read("sizes", "/users/ada@contoso.com/photos"));
        requests.push(read("small", "/users/ben@contoso.com/photos/48x48/$value"));
        requests.push(read("nobody", "/users/nobody@contoso.com/photo/$value"));
        let answers =
            responses(batch(&server, base, &admin, &json!({ "requests": requests })).await).await;
        assert_eq!(answers.len(), 6);
        for (user, suffix) in users
            .iter()
            .map(|u| (*u, "photo/$value"))
            .chain([("ben@contoso.com", "photos/48x48/$value")])
        {
            let id = if suffix == "photo/$value" {
                user
            } else {
                "small"
            };
            let answer = by_id(&answers, id);
            let direct = server
                .get(&format!("{base}/users/{user}/{suffix}"), &admin)
                .await;
            assert_eq!(direct.status(), 200);
            let etag = direct.headers()["etag"].to_str().unwrap().to_owned();
            let bytes = direct.bytes().await.unwrap();
            assert_eq!(answer["status"], 200, "{id}");
            assert_eq!(answer["headers"]["Content-Type"], "image/jpeg", "{id}");
            assert_eq!(answer["headers"]["ETag"], etag.as_str(), "{id}");
            assert_eq!(decoded(answer), bytes.as_ref(), "{id}");
        }
        let sizes = by_id(&answers, "sizes");
        assert_eq!(sizes["status"], 200);
        let direct = server
            .json(&format!("{base}/users/ada@contoso.com/photos"), &admin)
            .await;
        assert_eq!(
            sizes["body"]["value"], direct["value"],
            "JSON bodies stay JSON"
        );
        let nobody = by_id(&answers, "nobody");
        assert_eq!(nobody["status"], 404);
        assert_eq!(nobody["body"]["error"]["code"], "ImageNotFound");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_request_is_authorised_on_its_own() {
    let server = start().await;
    let admin = server.token("admin@contoso.com", "ProfilePhoto.ReadWrite.All");
    for user in ["ada@contoso.com", "ben@contoso.com"] {
        let put = server
            .put(
                &format!("/v1.0/users/{user}/photo/$value"),
                &admin,
                jpeg(300, 300, 5),
            )
            .await;
        assert_eq!(put.status(), 200);
    }
    // Ada may read her own photo and change it, not change Ben's.
    let ada = server.token("ada@contoso.com", "User.ReadWrite");
    let photo = base64::engine::general_purpose::STANDARD.encode(jpeg(300, 300, 9));
    let put = |id: &str, user: &str| {
        json!({
            "id": id, "method": "PUT", "url": format!("/users/{user}/photo/$value"),
            "headers": { "Content-Type": "image/jpeg" }, "body": photo,
        })
    };
    let requests = json!({ "requests": [
        read("mine", "/me/photo/$value"),
        put("hers", "ben@contoso.com"),
        put("own", "ada@contoso.com"),
    ]});
    let before = server
        .get("/v1.0/users/ben@contoso.com/photo/$value", &admin)
        .await
        .bytes()
        .await
        .unwrap();
    let answers = responses(batch(&server, "/v1.0", &ada, &requests).await).await;
    assert_eq!(by_id(&answers, "mine")["status"], 200);
    let hers = by_id(&answers, "hers");
    assert_eq!(hers["status"], 403);
    assert_eq!(hers["body"]["error"]["code"], "Authorization_RequestDenied");
    let own = by_id(&answers, "own");
    assert_eq!(own["status"], 200);
    // The PUT in the batch stored what a direct PUT stores: the set whose ETag it answered.
    let after = server.get("/v1.0/me/photo/$value", &ada).await;
    assert_eq!(
        after.headers()["etag"].to_str().unwrap(),
        own["headers"]["ETag"].as_str().unwrap()
    );
    let unchanged = server
        .get("/v1.0/users/ben@contoso.com/photo/$value", &admin)
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(unchanged, before, "the forbidden PUT changed nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn depends_on_orders_the_requests() {
    let server = start().await;
    let token = server.token("ada@contoso.com", "User.ReadWrite");
    let photo = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(jpeg(360, 360, 3));
    // Listed in the reverse of the order they must run in: the read depends on the upload,
    // which depends on the delete.
    let requests = json!({ "requests": [
        { "id": "3", "method": "GET", "url": "/me/photos", "dependsOn": ["2"] },
        { "id": "2", "method": "PATCH", "url": "/me/photo/$value", "dependsOn": ["1"],
          "headers": { "Content-Type": "image/jpeg" }, "body": photo },
        { "id": "1", "method": "DELETE", "url": "/me/photo" },
    ]});
    let answers = responses(batch(&server, "/beta", &token, &requests).await).await;
    let ids: Vec<&str> = answers.iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["3", "2", "1"], "responses in the batch's order");
    assert_eq!(by_id(&answers, "1")["status"], 204);
    assert_eq!(by_id(&answers, "2")["status"], 200);
    let sizes = &by_id(&answers, "3")["body"]["value"];
    assert_eq!(
        sizes.as_array().map(Vec::len),
        Some(sizes_for(360).len()),
        "the read ran after the upload"
    );

    // A request whose dependency failed answers 424 and does not run.
    let requests = json!({ "requests": [
        { "id": "bad", "method": "PUT", "url": "/me/photo/$value",
          "headers": { "Content-Type": "image/jpeg" }, "body": "bm90IGEgcGhvdG8" },
        { "id": "delete", "method": "DELETE", "url": "/me/photo", "dependsOn": ["BAD"] },
    ]});
    let answers = responses(batch(&server, "/v1.0", &token, &requests).await).await;
    let bad = by_id(&answers, "bad")["status"].as_u64().unwrap();
    assert!(bad >= 400, "not a photo: {bad}");
    assert_eq!(by_id(&answers, "delete")["status"], 424);
    let still = server.get("/v1.0/me/photo/$value", &token).await;
    assert_eq!(still.status(), 200, "the dependent DELETE did not run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_graph_refuses() {
    let server = start().await;
    let token = server.token("ada@contoso.com", "User.ReadWrite");
    let reads =
        |n: usize| -> Vec<Value> { (0..n).map(|i| read(&i.to_string(), "/me/photo")).collect() };

    let twenty =
        responses(batch(&server, "/v1.0", &token, &json!({ "requests": reads(20) })).await).await;
    assert_eq!(twenty.len(), 20);
    let refused: Vec<(&str, Value)> = vec![
        ("21 requests", json!({ "requests": reads(21) })),
        ("no requests", json!({ "requests": [] })),
        (
            "duplicate ids",
            json!({ "requests": [read("a", "/me/photo"), read("A", "/me/photos")] }),
        ),
        (
            "a nested batch",
            json!({ "requests": [{ "id": "1", "method": "POST", "url": "/$batch",
                                   "body": { "requests": [] },
                                   "headers": { "Content-Type": "application/json" } }] }),
        ),
        (
            "an unknown dependency",
            json!({ "requests": [{ "id": "1", "method": "GET", "url": "/me/photo",
                                   "dependsOn": ["2"] }] }),
        ),
        (
            "a cycle",
            json!({ "requests": [
                { "id": "1", "method": "GET", "url": "/me/photo", "dependsOn": ["2"] },
                { "id": "2", "method": "GET", "url": "/me/photo", "dependsOn": ["1"] },
            ]}),
        ),
        ("not a batch", json!({ "request": [] })),
        (
            "no url",
            json!({ "requests": [{ "id": "1", "method": "GET" }] }),
        ),
    ];
    for (what, body) in refused {
        let (status, code) = error_code(batch(&server, "/v1.0", &token, &body).await).await;
        assert_eq!((status, code.as_str()), (400, "BadRequest"), "{what}");
    }
    let malformed = server
        .client
        .post(server.url("/v1.0/$batch"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"requests\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(malformed).await, (400, "BadRequest".to_owned()));

    let anonymous = server
        .client
        .post(server.url("/v1.0/$batch"))
        .json(&json!({ "requests": reads(1) }))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}
