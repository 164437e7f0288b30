//! `userphoto precompute` between object stores, run as the real binary against a real
//! S3-compatible server (moto's, started on loopback by `cli/tests/s3.sh`).
//!
//! Runs when `USERPHOTO_TEST_S3_ENDPOINT` names the server (and `AWS_ENDPOINT_URL`,
//! `AWS_ALLOW_HTTP`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION` configure the
//! client, as the command reads them); otherwise each test says it was skipped and passes.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

mod common;
use common::*;

const BIN: &str = env!("CARGO_BIN_EXE_userphoto");

fn endpoint() -> Option<String> {
    match std::env::var("USERPHOTO_TEST_S3_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => Some(endpoint),
        _ => {
            let _ = writeln!(
                std::io::stderr(),
                "skipped: set USERPHOTO_TEST_S3_ENDPOINT (see cli/tests/s3.sh) to run against S3"
            );
            None
        }
    }
}

/// `host:port` of an `http://host:port` endpoint.
fn authority(endpoint: &str) -> &str {
    endpoint.trim_start_matches("http://").trim_end_matches('/')
}

/// A bucket on the test server, fresh for each test, with the client the command uses.
struct Bucket {
    name: String,
    store: Arc<dyn ObjectStore>,
    runtime: tokio::runtime::Runtime,
}

impl Bucket {
    /// Creates the bucket with a plain (unsigned) S3 request, which moto accepts.
    fn new(endpoint: &str, test: &str) -> Bucket {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let name = format!("precompute-{test}-{}-{stamp}", std::process::id());
        let host = authority(endpoint);
        let mut stream = TcpStream::connect(host).unwrap();
        write!(
            stream,
            "PUT /{name} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200"),
            "creating {name}: {answer}"
        );
        let store = userphoto_stores::open(&format!("s3://{name}")).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        Bucket {
            name,
            store,
            runtime,
        }
    }

    fn url(&self, prefix: &str) -> String {
        format!("s3://{}/{prefix}", self.name)
    }

    fn put(&self, key: &str, bytes: Vec<u8>) {
        self.runtime
            .block_on(self.store.put(&Path::from(key), bytes.into()))
            .unwrap();
    }

    fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.runtime.block_on(async {
            let result = self.store.get(&Path::from(key)).await.ok()?;
            Some(result.bytes().await.unwrap().to_vec())
        })
    }

    /// Every object under `prefix`: its key relative to the prefix, and when it was written.
    fn objects(&self, prefix: &str) -> BTreeMap<String, Stamp> {
        self.runtime.block_on(async {
            self.store
                .list(Some(&Path::from(prefix)))
                .map_ok(|meta| {
                    let key = meta.location.as_ref();
                    let rel = key
                        .strip_prefix(prefix)
                        .unwrap_or(key)
                        .trim_start_matches('/');
                    (rel.to_owned(), Stamp::of(&meta))
                })
                .try_collect()
                .await
                .unwrap()
        })
    }

    /// Checks every output folder under `prefix` with [`check_folder`]; returns the folders
    /// with a `photos.json` and the unfinished ones (JPEGs and no `photos.json`, allowed only
    /// when `allow_unfinished`).
    fn check_outputs(&self, prefix: &str, allow_unfinished: bool) -> BTreeSet<String> {
        let mut folders: BTreeMap<String, BTreeMap<String, Vec<u8>>> = BTreeMap::new();
        let mut indexes = BTreeSet::new();
        for key in self.objects(prefix).into_keys() {
            let Some((folder, name)) = key.rsplit_once('/') else {
                continue;
            };
            if folder.split('/').any(|part| part.starts_with('.')) {
                continue;
            }
            let files = folders.entry(folder.to_owned()).or_default();
            if name == "photos.json" {
                indexes.insert(folder.to_owned());
            } else if name.ends_with(".jpg") {
                let bytes = self.get(&format!("{prefix}/{key}")).unwrap();
                files.insert(name.to_owned(), bytes);
            }
        }
        let mut sets = BTreeSet::new();
        for (folder, jpgs) in &folders {
            let json = indexes
                .contains(folder)
                .then(|| self.get(&format!("{prefix}/{folder}/photos.json")).unwrap());
            if check_folder(folder, json.as_deref(), jpgs, allow_unfinished) {
                sets.insert(folder.clone());
            }
        }
        sets
    }

    fn manifest(&self, prefix: &str, name: &str) -> BTreeMap<String, serde_json::Value> {
        let text = self
            .get(&format!("{prefix}/{name}"))
            .unwrap_or_else(|| panic!("{prefix}/{name} exists"));
        manifest_records(&text)
    }
}

/// When an object was written, and its ETag: what a rewrite would change.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    modified: std::time::SystemTime,
    etag: Option<String>,
}

impl Stamp {
    fn of(meta: &object_store::ObjectMeta) -> Stamp {
        Stamp {
            modified: meta.last_modified.into(),
            etag: meta.e_tag.clone(),
        }
    }
}

fn precompute(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BIN);
    command.arg("precompute").args(args).stdin(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Test photos, with the inputs that are not photos that a real bucket holds too.
fn fill_mixed(bucket: &Bucket, prefix: &str) -> BTreeSet<String> {
    let mut photos = BTreeSet::new();
    for i in 0..4 {
        let key = format!("user{i}@contoso.com.jpg");
        bucket.put(&format!("{prefix}/{key}"), jpeg(300 + i * 40, 260, i));
        photos.insert(key);
    }
    bucket.put(&format!("{prefix}/team/bob.png"), png(200, 120, 7));
    photos.insert("team/bob.png".to_owned());
    bucket.put(&format!("{prefix}/notes.txt"), b"not a photo".to_vec());
    bucket.put(&format!("{prefix}/tiny.png"), png(20, 20, 1));
    bucket.put(
        &format!("{prefix}/broken.jpg"),
        vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0],
    );
    bucket.put(&format!("{prefix}/.hidden.jpg"), jpeg(100, 100, 3));
    photos
}

/// The outputs of the photos of [`fill_mixed`]: their output folders.
fn folders_of(photos: &BTreeSet<String>) -> BTreeSet<String> {
    photos
        .iter()
        .map(|p| p.rsplit_once('.').unwrap().0.to_owned())
        .collect()
}

#[test]
fn s3_to_s3_renders_reports_and_a_rerun_rewrites_nothing() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = Bucket::new(&endpoint, "s3s3");
    let photos = fill_mixed(&bucket, "in");

    let run = precompute(&[&bucket.url("in"), &bucket.url("out"), "--recursive"], &[]);
    let (stdout, stderr) = (text(&run.stdout), text(&run.stderr));
    assert_eq!(run.status.code(), Some(1), "{stdout}{stderr}");
    assert_eq!(summary_count(&stdout, "ingested"), Some(5), "{stdout}");
    assert_eq!(summary_count(&stdout, "rejected"), Some(2), "{stdout}");
    assert_eq!(
        summary_count(&stdout, "skipped, not images"),
        Some(1),
        "{stdout}"
    );
    assert!(stderr.contains("rejected broken.jpg: Corrupt"), "{stderr}");
    assert!(stderr.contains("rejected tiny.png: TooSmall"), "{stderr}");
    assert!(
        stderr.contains("skipped notes.txt: UnknownFormat"),
        "{stderr}"
    );
    assert!(stdout.contains(&format!("manifest: {}/manifest.jsonl", bucket.url("out"))));

    assert_eq!(bucket.check_outputs("out", false), folders_of(&photos));
    let records = bucket.manifest("out", "manifest.jsonl");
    assert_eq!(records.len(), 8, "{records:?}");
    assert!(!records.contains_key(".hidden.jpg"));
    for photo in &photos {
        assert_eq!(status(&records[photo]), "ingested", "{photo}");
    }
    assert_eq!(kind(&records["broken.jpg"]), "Corrupt");
    assert_eq!(kind(&records["tiny.png"]), "TooSmall");
    assert_eq!(status(&records["notes.txt"]), "skipped");
    // A 340x260 photo: every size up to 240.
    let sizes: Vec<&str> = records["user1@contoso.com.jpg"]["renditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["size"].as_str().unwrap())
        .collect();
    assert_eq!(sizes, ["48x48", "64x64", "96x96", "120x120", "240x240"]);
    // No journal is left once the manifest is written.
    assert!(bucket.objects("out").keys().all(|k| !k.starts_with('.')));

    // Again: nothing read again, nothing rewritten.
    let before = bucket.objects("out");
    std::thread::sleep(Duration::from_millis(1100));
    let again = precompute(
        &[
            &bucket.url("in"),
            &bucket.url("out"),
            "--recursive",
            "--quiet",
        ],
        &[],
    );
    let stdout = text(&again.stdout);
    assert_eq!(
        again.status.code(),
        Some(1),
        "{stdout}{}",
        text(&again.stderr)
    );
    assert_eq!(summary_count(&stdout, "ingested"), Some(0), "{stdout}");
    assert_eq!(
        summary_count(&stdout, "already up to date"),
        Some(5),
        "{stdout}"
    );
    let after = bucket.objects("out");
    let unchanged = |objects: &BTreeMap<String, Stamp>| {
        objects
            .iter()
            .filter(|(k, _)| !k.starts_with("manifest"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<BTreeMap<_, _>>()
    };
    assert_eq!(unchanged(&before), unchanged(&after));
    let records = bucket.manifest("out", "manifest.jsonl");
    assert!(photos.iter().all(|p| status(&records[p]) == "up_to_date"));

    // A replaced photo with fewer sizes: only it is redone, and its old sizes go.
    bucket.put("in/user3@contoso.com.jpg", jpeg(100, 100, 11));
    let third = precompute(
        &[
            &bucket.url("in"),
            &bucket.url("out"),
            "--recursive",
            "--quiet",
        ],
        &[],
    );
    let stdout = text(&third.stdout);
    assert_eq!(summary_count(&stdout, "ingested"), Some(1), "{stdout}");
    assert_eq!(bucket.check_outputs("out", false), folders_of(&photos));
    let now = bucket.objects("out");
    assert!(!now.contains_key("user3@contoso.com/120x120.jpg"));
    assert_eq!(
        now.get("user0@contoso.com/48x48.jpg"),
        before.get("user0@contoso.com/48x48.jpg")
    );
}

#[test]
fn local_to_s3_and_back_give_the_bytes_of_a_run_on_disk() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = Bucket::new(&endpoint, "mixed");
    let photos_dir = tempfile::tempdir().unwrap();
    for i in 0..3 {
        std::fs::write(
            photos_dir.path().join(format!("p{i}.png")),
            png(150 + i * 50, 180, i),
        )
        .unwrap();
    }
    std::fs::write(photos_dir.path().join("readme.txt"), "hello").unwrap();
    let in_dir = photos_dir.path().to_str().unwrap();

    // Disk to disk, the reference.
    let disk = tempfile::tempdir().unwrap();
    let run = precompute(&[in_dir, disk.path().to_str().unwrap(), "--quiet"], &[]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));

    // Disk to S3.
    let run = precompute(&[in_dir, &bucket.url("sizes"), "--quiet"], &[]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let sets = bucket.check_outputs("sizes", false);
    assert_eq!(
        sets,
        BTreeSet::from(["p0".to_owned(), "p1".to_owned(), "p2".to_owned()])
    );
    for set in &sets {
        for file in std::fs::read_dir(disk.path().join(set)).unwrap() {
            let file = file.unwrap();
            let name = file.file_name().to_string_lossy().into_owned();
            let stored = bucket.get(&format!("sizes/{set}/{name}"));
            assert_eq!(
                stored,
                Some(std::fs::read(file.path()).unwrap()),
                "{set}/{name}"
            );
        }
    }
    let records = bucket.manifest("sizes", "manifest.jsonl");
    assert_eq!(status(&records["readme.txt"]), "skipped");

    // S3 to disk: the photos put in the bucket, rendered into a folder (file:// URL).
    for i in 0..3 {
        let bytes = std::fs::read(photos_dir.path().join(format!("p{i}.png"))).unwrap();
        bucket.put(&format!("photos/p{i}.png"), bytes);
    }
    let back = tempfile::tempdir().unwrap();
    let url = format!("file://{}", back.path().display());
    let run = precompute(&[&bucket.url("photos"), &url, "--quiet"], &[]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    for set in &sets {
        for file in std::fs::read_dir(disk.path().join(set)).unwrap() {
            let file = file.unwrap();
            let name = file.file_name();
            let copy = std::fs::read(back.path().join(set).join(&name)).unwrap();
            assert_eq!(copy, std::fs::read(file.path()).unwrap(), "{set}/{name:?}");
        }
    }
    // Its rerun reads nothing again: the ETags match the records.
    let again = precompute(&[&bucket.url("photos"), &url, "--quiet"], &[]);
    let stdout = text(&again.stdout);
    assert_eq!(
        summary_count(&stdout, "already up to date"),
        Some(3),
        "{stdout}"
    );
}

#[test]
fn three_indexed_workers_cover_every_input_exactly_once() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = Bucket::new(&endpoint, "shards");
    let sample = png(64, 64, 9);
    let mut all = BTreeSet::new();
    for i in 0..24 {
        let rel = if i % 4 == 0 {
            format!("team/member{i}.png")
        } else {
            format!("user{i}@contoso.com.png")
        };
        bucket.put(&format!("in/{rel}"), sample.clone());
        all.insert(rel);
    }
    let (input, output) = (bucket.url("in"), bucket.url("out"));
    let workers: Vec<_> = (0..3)
        .map(|index| {
            Command::new(BIN)
                .args([
                    "precompute",
                    &input,
                    &output,
                    "--recursive",
                    "--shards",
                    "3",
                    "--quiet",
                ])
                .env("JOB_COMPLETION_INDEX", index.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for worker in workers {
        let done = worker.wait_with_output().unwrap();
        assert_eq!(done.status.code(), Some(0), "{}", text(&done.stderr));
    }
    let mut seen = BTreeMap::<String, u32>::new();
    for index in 1..=3 {
        for path in bucket
            .manifest("out", &format!("manifest-{index}-of-3.jsonl"))
            .keys()
        {
            *seen.entry(path.clone()).or_default() += 1;
        }
    }
    assert_eq!(seen.keys().cloned().collect::<BTreeSet<_>>(), all);
    assert!(seen.values().all(|&n| n == 1), "{seen:?}");
    assert_eq!(bucket.check_outputs("out", false), folders_of(&all));

    // A worker needs its index, within the count.
    for index in [None, Some("3"), Some("x")] {
        let mut command = Command::new(BIN);
        command.args(["precompute", &input, &output, "--shards", "3"]);
        command.env_remove("JOB_COMPLETION_INDEX");
        if let Some(index) = index {
            command.env("JOB_COMPLETION_INDEX", index);
        }
        let run = command.output().unwrap();
        assert_eq!(run.status.code(), Some(2), "{index:?}");
        assert!(text(&run.stderr).contains("JOB_COMPLETION_INDEX"));
    }
}

#[test]
fn a_worker_killed_mid_run_leaves_no_partial_set_and_its_rerun_finishes() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = Bucket::new(&endpoint, "kill");
    const PHOTOS: u32 = 24;
    for i in 0..PHOTOS {
        bucket.put(&format!("in/user{i:02}.png"), png(900, 700, i));
    }
    let (input, output) = (bucket.url("in"), bucket.url("out"));
    let args = [
        "precompute",
        &input,
        &output,
        "--jobs",
        "1",
        "--io",
        "2",
        "--quiet",
    ];
    // Uploads of renditions made slow, so that a kill at any moment likely lands while a
    // photo's files are being written.
    let (slow, _) = faulty_proxy(
        authority(&endpoint).to_owned(),
        usize::MAX,
        Duration::from_millis(250),
    );
    let mut kills = 0;
    for _round in 0..3 {
        let done_before = bucket.check_outputs("out", true).len();
        let mut command = Command::new(BIN);
        command.args(args).env("AWS_ENDPOINT_URL", &slow);
        let killed = kill_part_way(&mut command, done_before + 3, || {
            bucket
                .objects("out")
                .keys()
                .filter(|k| k.ends_with("/photos.json"))
                .count()
        });
        kills += usize::from(killed);
        // Whatever the moment of the kill, a folder with photos.json is complete.
        bucket.check_outputs("out", true);
    }
    assert!(kills > 0, "no run was killed part way");

    let last = Command::new(BIN).args(args).output().unwrap();
    assert_eq!(last.status.code(), Some(0), "{}", text(&last.stderr));
    let stdout = text(&last.stdout);
    // What the killed runs finished and journaled is not rendered again.
    let ingested = summary_count(&stdout, "ingested").unwrap();
    assert!(ingested < u64::from(PHOTOS), "{stdout}");
    assert_eq!(bucket.check_outputs("out", false).len(), PHOTOS as usize);
    assert_eq!(
        bucket.manifest("out", "manifest.jsonl").len(),
        PHOTOS as usize
    );
    let hidden: Vec<String> = bucket
        .objects("out")
        .into_keys()
        .filter(|k| k.starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
}

/// A proxy in front of the S3 server that answers every `every`th request with 503 Slow
/// Down (without passing it on), and passes the others on, one connection per request, each
/// upload of a `.jpg` after `jpg_delay`. Returns its address and the count of requests it
/// failed.
fn faulty_proxy(upstream: String, every: usize, jpg_delay: Duration) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let failed = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(AtomicUsize::new(0));
    let failed_count = Arc::clone(&failed);
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            let (upstream, seen, failed) =
                (upstream.clone(), Arc::clone(&seen), Arc::clone(&failed));
            std::thread::spawn(move || {
                let _ = relay(client, &upstream, &seen, &failed, every, jpg_delay);
            });
        }
    });
    (address, failed_count)
}

/// Relays the requests of one client connection.
fn relay(
    mut client: TcpStream,
    upstream: &str,
    seen: &AtomicUsize,
    failed: &AtomicUsize,
    every: usize,
    jpg_delay: Duration,
) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut buffer = Vec::new();
    loop {
        // The request head.
        let head_end = loop {
            if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            let mut chunk = [0u8; 8192];
            let n = client.read(&mut chunk)?;
            if n == 0 {
                return Ok(());
            }
            buffer.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .unwrap_or(0);
        while buffer.len() < head_end + length {
            let mut chunk = [0u8; 65536];
            let n = client.read(&mut chunk)?;
            if n == 0 {
                return Ok(());
            }
            buffer.extend_from_slice(&chunk[..n]);
        }
        let request: Vec<u8> = buffer.drain(..head_end + length).collect();
        if (seen.fetch_add(1, Ordering::SeqCst) + 1).is_multiple_of(every) {
            failed.fetch_add(1, Ordering::SeqCst);
            client.write_all(
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\n\
                  Content-Length: 82\r\n\r\n\
                  <Error><Code>SlowDown</Code><Message>Please reduce your rate.</Message></Error>",
            )?;
            continue;
        }
        // Passed on with `Connection: close`, so the answer ends where the stream does.
        let head_text = String::from_utf8_lossy(&request[..head_end]);
        let request_line = head_text.lines().next().unwrap_or("");
        if request_line.starts_with("PUT ") && request_line.contains(".jpg") {
            std::thread::sleep(jpg_delay);
        }
        let mut forwarded: String = head_text
            .trim_end()
            .lines()
            .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
            .map(|l| format!("{l}\r\n"))
            .collect();
        forwarded.push_str("Connection: close\r\n\r\n");
        let mut server = TcpStream::connect(upstream)?;
        server.write_all(forwarded.as_bytes())?;
        server.write_all(&request[head_end..])?;
        let mut answer = Vec::new();
        server.read_to_end(&mut answer)?;
        client.write_all(&answer)?;
        // The answer says `Connection: close` or is HTTP/1.0: the client opens a new one.
        return Ok(());
    }
}

#[test]
fn a_store_failing_some_requests_still_ends_complete() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = Bucket::new(&endpoint, "faults");
    let mut photos = BTreeSet::new();
    for i in 0..10 {
        let key = format!("p{i:02}.jpg");
        bucket.put(&format!("in/{key}"), jpeg(260, 200 + i * 10, i));
        photos.insert(key);
    }
    let (proxy, failed) = faulty_proxy(authority(&endpoint).to_owned(), 4, Duration::ZERO);
    let env = [("AWS_ENDPOINT_URL", proxy.as_str())];
    let run = precompute(&[&bucket.url("in"), &bucket.url("out"), "--quiet"], &env);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    assert!(
        failed.load(Ordering::SeqCst) >= 10,
        "the proxy failed too few requests"
    );
    assert_eq!(bucket.check_outputs("out", false), folders_of(&photos));
    let records = bucket.manifest("out", "manifest.jsonl");
    assert!(photos.iter().all(|p| status(&records[p]) == "ingested"));
}
