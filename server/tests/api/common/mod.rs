//! A server on loopback for the tests, tokens for it, and test photos.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::io::Cursor;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use object_store::ObjectStore;
use userphoto_server::auth::Keys;
use userphoto_server::store::PhotoStore;
use userphoto_server::{router, App, Config};

pub const SECRET: &[u8] = b"test secret of the userphoto server";

/// Every scope a test may hand out, Outlook spelling.
pub const ALL_SCOPES: &str =
    "User.Read User.ReadWrite User.ReadBasic.All User.Read.All User.ReadWrite.All";

pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
    pub keys: Keys,
    pub client: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn start_with(store: Arc<dyn ObjectStore>, config: Config) -> TestServer {
    let keys = Keys::new(SECRET);
    let app = Arc::new(App::new(PhotoStore::new(store), keys.clone(), config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, router(app)).await.unwrap();
    });
    // A new connection per request: the server closes a connection after answering a request
    // whose body it refused unread, and a pooled one reused at that moment fails the next
    // request with a broken pipe.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    TestServer {
        origin,
        keys,
        client,
        task,
    }
}

pub async fn start() -> TestServer {
    start_with(
        Arc::new(object_store::memory::InMemory::new()),
        Config::default(),
    )
    .await
}

impl TestServer {
    pub fn token(&self, user: &str, scopes: &str) -> String {
        self.keys
            .mint(user, scopes, Duration::from_secs(3600))
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.origin, path)
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn put(&self, path: &str, token: &str, body: Vec<u8>) -> reqwest::Response {
        self.client
            .put(self.url(path))
            .bearer_auth(token)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn json(&self, path: &str, token: &str) -> serde_json::Value {
        let response = self.get(path, token).await;
        assert_eq!(response.status(), 200, "GET {path}");
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
        response.json().await.unwrap()
    }
}

/// The OData error code of an error answer (`{"error": {"code": …}}`).
pub async fn code(response: reqwest::Response) -> String {
    let body: serde_json::Value = response.json().await.unwrap();
    body["error"]["code"].as_str().unwrap().to_owned()
}

/// Seconds since the Unix epoch, for the `exp` of hand-made tokens.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A `width`x`height` PNG whose pixels depend on `seed`, so different seeds give different
/// renditions.
pub fn photo(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        let v = x.wrapping_mul(31 + seed) ^ y.wrapping_mul(17 + 3 * seed);
        image::Rgb([
            (v % 251) as u8,
            ((x + seed * 40) % 256) as u8,
            ((y * 3 + seed) % 256) as u8,
        ])
    });
    let mut png = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    png
}

/// The same kind of picture as a baseline JPEG.
pub fn jpeg(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let png = photo(width, height, seed);
    let image = image::load_from_memory(&png).unwrap();
    let mut jpeg = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
        .unwrap();
    jpeg
}

/// Decodes a JPEG and returns its width and height.
pub fn jpeg_size(bytes: &[u8]) -> (u32, u32) {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.decode().expect("a valid JPEG");
    let info = decoder.info().unwrap();
    (u32::from(info.width), u32::from(info.height))
}

/// The quoted CRC-32 of `bytes`, as the server's ETags are written.
pub fn crc_etag(bytes: &[u8]) -> String {
    format!("\"{:08X}\"", crc32fast::hash(bytes))
}

pub const SIZES: [u32; 9] = [48, 64, 96, 120, 240, 360, 432, 504, 648];

/// The sizes a photo with this usable side has.
pub fn sizes_for(side: u32) -> Vec<u32> {
    SIZES.iter().copied().filter(|s| *s <= side).collect()
}

/// The Outlook API bases.
pub const OUTLOOK: [&str; 2] = ["/api/v2.0", "/api/beta"];

/// The ids (`"48X48"` …) and media ETags of a `photos` collection.
pub fn listed(collection: &serde_json::Value) -> Vec<(String, String)> {
    collection["value"]
        .as_array()
        .expect("a value array")
        .iter()
        .map(|p| {
            (
                p["Id"].as_str().or(p["id"].as_str()).unwrap().to_owned(),
                p["@odata.mediaEtag"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn id(side: u32) -> String {
    format!("{side}X{side}")
}

/// Asserts the answers of a user without a photo on an Outlook base.
pub async fn assert_no_photo(server: &TestServer, base: &str, subject: &str, token: &str) {
    let photo = server.json(&format!("{base}{subject}/photo"), token).await;
    assert_eq!(photo["Id"], "1X1");
    assert_eq!(photo["Width"], 1);
    assert_eq!(photo["Height"], 1);
    assert_eq!(photo["@odata.mediaContentType"], "image/gif");
    assert_eq!(photo["@odata.mediaEtag"], "");

    let value = server
        .get(&format!("{base}{subject}/photo/$value"), token)
        .await;
    assert_eq!(value.status(), 200);
    assert_eq!(value.headers()["content-type"], "image/gif");
    assert!(
        value.headers().get("etag").is_none(),
        "the placeholder has no ETag"
    );
    let gif = value.bytes().await.unwrap();
    let decoded = image::load_from_memory_with_format(&gif, image::ImageFormat::Gif).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (1, 1));

    let photos = server.json(&format!("{base}{subject}/photos"), token).await;
    assert_eq!(photos["value"], serde_json::json!([]));
    for path in ["photos('48x48')", "photos('48x48')/$value"] {
        let response = server.get(&format!("{base}{subject}/{path}"), token).await;
        assert_eq!(response.status(), 404, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "ErrorItemNotFound");
    }
}

/// Asserts that the user's photo (through `subject` on `base`) has exactly the sizes up to
/// `side`, consistent between the list, each entity and each `$value`; returns the ETags.
pub async fn assert_photo(
    server: &TestServer,
    base: &str,
    subject: &str,
    token: &str,
    side: u32,
) -> Vec<(String, String)> {
    let expected = sizes_for(side);
    let photos = server.json(&format!("{base}{subject}/photos"), token).await;
    assert!(photos["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with("/photos"));
    let list = listed(&photos);
    let ids: Vec<String> = list.iter().map(|(i, _)| i.clone()).collect();
    assert_eq!(ids, expected.iter().map(|s| id(*s)).collect::<Vec<_>>());
    for (item, side) in photos["value"].as_array().unwrap().iter().zip(&expected) {
        assert_eq!(item["Width"], *side);
        assert_eq!(item["Height"], *side);
        assert_eq!(item["@odata.mediaContentType"], "image/jpeg");
        assert!(item["@odata.id"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/photos('{}')", id(*side))));
    }

    let largest = server.json(&format!("{base}{subject}/photo"), token).await;
    assert_eq!(largest["Id"], id(side_of(&expected)));
    assert_eq!(largest["@odata.mediaEtag"], list.last().unwrap().1.as_str());

    let value = server
        .get(&format!("{base}{subject}/photo/$value"), token)
        .await;
    assert_eq!(value.status(), 200);
    let etag = value.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, list.last().unwrap().1);
    let bytes = value.bytes().await.unwrap();
    assert_eq!(crc_etag(&bytes), etag);
    assert_eq!(jpeg_size(&bytes), (side_of(&expected), side_of(&expected)));

    for ((id, listed_etag), side) in list.iter().zip(&expected) {
        // The size in the URL is case-insensitive.
        for name in [format!("{side}x{side}"), id.clone()] {
            let one = server
                .json(&format!("{base}{subject}/photos('{name}')"), token)
                .await;
            assert_eq!(one["Id"], id.as_str());
            assert_eq!(one["@odata.mediaEtag"], listed_etag.as_str());
            assert!(one["@odata.context"]
                .as_str()
                .unwrap()
                .ends_with("/photos/$entity"));
        }
        let response = server
            .get(
                &format!("{base}{subject}/photos('{side}x{side}')/$value"),
                token,
            )
            .await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "image/jpeg");
        assert!(response.headers().get("cache-control").is_some());
        let length: usize = response.headers()["content-length"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let header_etag = response.headers()["etag"].to_str().unwrap().to_owned();
        let bytes = response.bytes().await.unwrap();
        assert_eq!(bytes.len(), length);
        assert_eq!(&header_etag, listed_etag);
        assert_eq!(crc_etag(&bytes), header_etag);
        assert_eq!(jpeg_size(&bytes), (*side, *side));
    }
    for missing in SIZES.iter().filter(|s| **s > side) {
        for suffix in ["", "/$value"] {
            let response = server
                .get(
                    &format!("{base}{subject}/photos('{missing}x{missing}'){suffix}"),
                    token,
                )
                .await;
            assert_eq!(response.status(), 404);
            let body: serde_json::Value = response.json().await.unwrap();
            assert_eq!(body["error"]["code"], "ErrorItemNotFound");
        }
    }
    list
}

fn side_of(sizes: &[u32]) -> u32 {
    *sizes.last().unwrap()
}

/// The end-to-end run of every Outlook route on both versions, for one fresh user per version:
/// placeholder, PUT, every size, a missing size, PATCH (405 on beta), DELETE.
pub async fn core_scenario(server: &TestServer, user_stem: &str) {
    for base in OUTLOOK {
        let version = base.rsplit('/').next().unwrap();
        let user = format!("{user_stem}-{version}@contoso.com");
        let shouted = user.to_uppercase();
        let own = server.token(&user, "User.ReadWrite");
        let subjects = [
            "/me".to_owned(),
            format!("/Users('{shouted}')"),
            format!("/users('{user}')"),
        ];
        for subject in &subjects {
            assert_no_photo(server, base, subject, &own).await;
        }

        // The JSON is SPEC §4's, with the context and id.
        let placeholder = server.json(&format!("{base}/me/photo"), &own).await;
        assert_eq!(
            placeholder["@odata.context"],
            format!("{}{base}/$metadata#Me/photo/$entity", server.origin)
        );
        assert_eq!(
            placeholder["@odata.id"],
            format!("{}{base}/Users('{user}')/photo", server.origin)
        );

        let put = server
            .put(&format!("{base}/me/photo/$value"), &own, photo(504, 504, 1))
            .await;
        assert_eq!(put.status(), 200);
        let first = assert_photo(server, base, "/me", &own, 504).await;
        for subject in &subjects[1..] {
            assert_eq!(assert_photo(server, base, subject, &own, 504).await, first);
        }

        // A 700x900 portrait has a usable side of 700: all nine sizes.
        let put = server
            .put(
                &format!("{base}/users('{shouted}')/photo/$value"),
                &own,
                jpeg(700, 900, 2),
            )
            .await;
        assert_eq!(put.status(), 200);
        let second = assert_photo(server, base, "/me", &own, 700).await;
        assert!(second.iter().zip(&first).all(|(a, b)| a.1 != b.1));

        // PATCH replaces the photo on v2.0 and is not allowed on beta.
        let patch = server
            .client
            .patch(server.url(&format!("{base}/me/photo/$value")))
            .bearer_auth(&own)
            .body(photo(800, 600, 3))
            .send()
            .await
            .unwrap();
        if version == "beta" {
            assert_eq!(patch.status(), 405);
            let body: serde_json::Value = patch.json().await.unwrap();
            assert!(body["error"]["code"].is_string());
            assert_eq!(assert_photo(server, base, "/me", &own, 700).await, second);
        } else {
            assert_eq!(patch.status(), 200);
            assert_photo(server, base, "/me", &own, 600).await;
        }

        let delete = server
            .client
            .delete(server.url(&format!("{base}/me/photo/$value")))
            .bearer_auth(&own)
            .send()
            .await
            .unwrap();
        assert_eq!(delete.status(), 204);
        for subject in &subjects {
            assert_no_photo(server, base, subject, &own).await;
        }
    }
}

const PHOTOS: u32 = 4;
const WRITERS: usize = 3;
const WRITES_EACH: usize = 5;
const READERS: usize = 4;

/// Several writers replace one user's photo through two servers sharing `store`, while
/// readers fetch the list and every size: no reader may see a list mixing two uploads, a
/// listed size missing, or bytes whose ETag is not the one announced.
pub async fn concurrent_replacements(store: Arc<dyn ObjectStore>) {
    // Two servers over one store, as replicas behind a load balancer would be: the per-user
    // lock of one process does not serialise their writes.
    let servers = Arc::new([
        start_with(store.clone(), Config::default()).await,
        start_with(store, Config::default()).await,
    ]);
    let user = "zoe@contoso.com";
    let writer = servers[0].token(user, "User.ReadWrite");
    let reader = servers[0].token("reader@contoso.com", "User.ReadBasic.All");
    let base = "/api/v2.0/users('zoe@contoso.com')";

    // Every photo has all nine sizes; learn each upload's ETags, one at a time.
    let photos: Vec<Vec<u8>> = (0..PHOTOS)
        .map(|seed| photo(700, 700, 100 + seed))
        .collect();
    let mut uploads: HashSet<Vec<(String, String)>> = HashSet::new();
    let mut by_size: HashMap<String, HashSet<String>> = HashMap::new();
    for bytes in &photos {
        let put = servers[0]
            .put(&format!("{base}/photo/$value"), &writer, bytes.clone())
            .await;
        assert_eq!(put.status(), 200);
        let list = listed(&servers[0].json(&format!("{base}/photos"), &reader).await);
        assert_eq!(list.len(), 9);
        for (id, etag) in &list {
            by_size.entry(id.clone()).or_default().insert(etag.clone());
        }
        uploads.insert(list);
    }
    assert_eq!(uploads.len(), PHOTOS as usize);
    let uploads = Arc::new(uploads);
    let by_size = Arc::new(by_size);

    let done = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (servers, photos, writer) = (servers.clone(), photos.clone(), writer.clone());
        writers.push(tokio::spawn(async move {
            for i in 0..WRITES_EACH {
                let server = &servers[(w + i) % 2];
                let bytes = photos[(w * WRITES_EACH + i) % photos.len()].clone();
                let put = server
                    .put(&format!("{base}/photo/$value"), &writer, bytes)
                    .await;
                assert_eq!(put.status(), 200);
            }
        }));
    }
    let mut readers = Vec::new();
    for r in 0..READERS {
        let (servers, uploads, by_size, done, reads, reader) = (
            servers.clone(),
            uploads.clone(),
            by_size.clone(),
            done.clone(),
            reads.clone(),
            reader.clone(),
        );
        readers.push(tokio::spawn(async move {
            let mut round = 0;
            while !done.load(Ordering::Relaxed) || round == 0 {
                let server = &servers[(r + round) % 2];
                round += 1;
                let list = listed(&server.json(&format!("{base}/photos"), &reader).await);
                assert!(uploads.contains(&list), "a list mixing uploads: {list:?}");

                let largest = server.json(&format!("{base}/photo"), &reader).await;
                assert!(by_size["648X648"].contains(largest["@odata.mediaEtag"].as_str().unwrap()));

                for (id, _) in &list {
                    let path = format!("{base}/photos('{id}')/$value");
                    let response = server.get(&path, &reader).await;
                    assert_eq!(response.status(), 200, "{id} listed but missing");
                    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
                    let bytes = response.bytes().await.unwrap();
                    assert_eq!(
                        crc_etag(&bytes),
                        etag,
                        "{id}: bytes and ETag of different uploads"
                    );
                    assert!(by_size[id].contains(&etag), "{id}: unknown ETag {etag}");
                    reads.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    done.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.await.unwrap();
    }
    assert!(reads.load(Ordering::Relaxed) >= READERS * 9);

    // Settled: the current set is one upload, whole.
    let list = listed(&servers[1].json(&format!("{base}/photos"), &reader).await);
    assert!(uploads.contains(&list));
}

/// The name of the user's current set, read from the store's pointer.
pub async fn current_set(store: &Arc<dyn ObjectStore>, user: &str) -> String {
    use object_store::ObjectStoreExt;
    let pointer = object_store::path::Path::from(format!("users/{user}/current"));
    let bytes = store.get(&pointer).await.unwrap().bytes().await.unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Makes the current set of `user` look like one stored before originals were kept: its
/// original removed, its index without `original` and `rendered`.
pub async fn strip_original(store: &Arc<dyn ObjectStore>, user: &str) {
    use object_store::path::Path;
    use object_store::ObjectStoreExt;
    let set = current_set(store, user).await;
    let index_path = Path::from(format!("users/{user}/sets/{set}/photos.json"));
    let index = store.get(&index_path).await.unwrap().bytes().await.unwrap();
    let mut index: serde_json::Value = serde_json::from_slice(&index).unwrap();
    let object = index.as_object_mut().unwrap();
    assert!(object.remove("original").is_some() && object.remove("rendered").is_some());
    store
        .put(&index_path, serde_json::to_vec(&index).unwrap().into())
        .await
        .unwrap();
    store
        .delete(&Path::from(format!("users/{user}/sets/{set}/original")))
        .await
        .unwrap();
}

/// Stored photos rendered at quality 85 are rendered again at 60 while readers read them:
/// every ETag changes, readers only ever see whole sets of one rendering, a set without an
/// original is left as it is, and a second run changes nothing.
pub async fn rerender_scenario(store: Arc<dyn ObjectStore>) {
    use userphoto_server::rerender::{rerender, Outcome};
    use userphoto_server::store::{Owner, PhotoStore};

    let server = Arc::new(start_with(store.clone(), Config::default()).await);
    let users: Vec<String> = (0..4).map(|i| format!("user{i}@contoso.com")).collect();
    let writer = server.token("admin@contoso.com", "User.ReadWrite.All");
    let reader = server.token("reader@contoso.com", "User.ReadBasic.All");
    let mut before = HashMap::new();
    for (i, user) in users
        .iter()
        .chain(["legacy@contoso.com".to_owned()].iter())
        .enumerate()
    {
        let put = server
            .put(
                &format!("/api/v2.0/users('{user}')/photo/$value"),
                &writer,
                photo(260, 300, 40 + i as u32),
            )
            .await;
        assert_eq!(put.status(), 200);
        let list = listed(
            &server
                .json(&format!("/api/v2.0/users('{user}')/photos"), &reader)
                .await,
        );
        before.insert(user.clone(), list);
    }
    strip_original(&store, "legacy@contoso.com").await;
    // A group's photo is rendered again like a user's.
    let group = "/v1.0/groups/0f3c-team";
    let group_writer = server.token("admin@contoso.com", "Group.ReadWrite.All");
    let put = server
        .put(
            &format!("{group}/photo/$value"),
            &group_writer,
            photo(300, 300, 39),
        )
        .await;
    assert_eq!(put.status(), 200);
    let group_before = listed(&server.json(&format!("{group}/photos"), &group_writer).await);

    // Readers of one user during the run: each list is whole, of the old rendering or the
    // new, and every size listed is there with the bytes of its tag.
    let done = Arc::new(AtomicBool::new(false));
    let watched = users[0].clone();
    let old = before[&watched].clone();
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (server, done, reader, watched, old) = (
                server.clone(),
                done.clone(),
                reader.clone(),
                watched.clone(),
                old.clone(),
            );
            tokio::spawn(async move {
                let base = format!("/api/v2.0/users('{watched}')");
                let mut rounds = 0;
                while !done.load(Ordering::Relaxed) || rounds == 0 {
                    rounds += 1;
                    let list = listed(&server.json(&format!("{base}/photos"), &reader).await);
                    let ids: Vec<&String> = list.iter().map(|(id, _)| id).collect();
                    assert_eq!(ids, old.iter().map(|(id, _)| id).collect::<Vec<_>>());
                    let unchanged = list.iter().zip(&old).filter(|(a, b)| a.1 == b.1).count();
                    assert!(
                        unchanged == 0 || unchanged == old.len(),
                        "a mixed set: {list:?}"
                    );
                    for (id, etag) in &list {
                        let response = server
                            .get(&format!("{base}/photos('{id}')/$value"), &reader)
                            .await;
                        assert_eq!(response.status(), 200, "{id} listed but missing");
                        let header = response.headers()["etag"].to_str().unwrap().to_owned();
                        let bytes = response.bytes().await.unwrap();
                        assert_eq!(crc_etag(&bytes), header, "{id}: bytes of another tag");
                        // Other bytes than listed only when the new rendering came in after
                        // the list was read: the list was the old one.
                        assert!(&header == etag || unchanged == old.len(), "{id}: {header}");
                    }
                }
                rounds
            })
        })
        .collect();

    let photos = Arc::new(PhotoStore::new(store.clone()));
    let options = userphoto::Options {
        quality: 60,
        ..userphoto::Options::default()
    };
    let mut heard = 0;
    let summary = rerender(photos.clone(), &options, 2, |_, _, done, total| {
        heard += 1;
        assert_eq!((done, total), (heard, 6));
    })
    .await
    .unwrap();
    done.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.await.unwrap();
    }
    assert_eq!(summary.count(|o| *o == Outcome::Rendered), 5, "{summary}");
    assert_eq!(
        summary.without_original().collect::<Vec<_>>(),
        [&Owner::User("legacy@contoso.com".into())]
    );
    let group_after = listed(&server.json(&format!("{group}/photos"), &group_writer).await);
    assert_eq!(group_after.len(), group_before.len());
    assert!(
        group_after
            .iter()
            .zip(&group_before)
            .all(|(a, b)| a.0 == b.0 && a.1 != b.1),
        "the group's sizes rendered again: {group_before:?} -> {group_after:?}"
    );
    for user in &users {
        let after = listed(
            &server
                .json(&format!("/api/v2.0/users('{user}')/photos"), &reader)
                .await,
        );
        let old = &before[user];
        assert_eq!(after.len(), old.len());
        assert!(
            after.iter().zip(old).all(|(a, b)| a.0 == b.0 && a.1 != b.1),
            "{user}: every size rendered again: {old:?} -> {after:?}"
        );
    }
    let legacy = listed(
        &server
            .json("/api/v2.0/users('legacy@contoso.com')/photos", &reader)
            .await,
    );
    assert_eq!(legacy, before["legacy@contoso.com"]);

    // A second run finds nothing to do.
    let again = rerender(photos.clone(), &options, 2, |_, _, _, _| {})
        .await
        .unwrap();
    assert_eq!(again.count(|o| *o == Outcome::UpToDate), 5, "{again}");
    assert_eq!(again.count(|o| *o == Outcome::Rendered), 0, "{again}");

    // An upload that lands between reading a set and swapping its new rendering wins.
    let user = &users[1];
    let owner = Owner::User(user.clone());
    let (index, original) = photos.original(&owner).await.unwrap().unwrap();
    let put = server
        .put(
            &format!("/api/v2.0/users('{user}')/photo/$value"),
            &writer,
            photo(200, 200, 99),
        )
        .await;
    assert_eq!(put.status(), 200);
    let uploaded = photos.current(&owner).await.unwrap().unwrap();
    let set = userphoto::ingest(&original, &options).unwrap();
    let swapped = photos
        .replace_if_current(
            &owner,
            &index.set,
            &set,
            original,
            userphoto::RenderOptions::of(&options),
        )
        .await
        .unwrap();
    assert!(
        swapped.is_none(),
        "the rendering of a replaced set is dropped"
    );
    assert_eq!(photos.current(&owner).await.unwrap().unwrap(), uploaded);
}
