//! An object store (S3 and S3-compatible servers, Google Cloud Storage, Azure Blob Storage)
//! as either side of a run, through the `object_store` crate, opened by
//! [`userphoto_stores::open`] as the server opens its store.
//!
//! An object store cannot rename a folder, so a photo's outputs are made trustworthy by
//! order instead: its `photos.json` is removed first, the renditions are written, the sizes
//! the new set lacks are removed, and `photos.json` is written last. A folder with a
//! `photos.json` therefore always holds exactly the renditions it lists; a folder without one
//! is unfinished, and the next run writes it again.
//!
//! Every request is retried with exponential backoff by the store's client (server errors,
//! throttling, timeouts, refused connections); what still fails (a body cut short, say) is
//! tried again here, a few times, with backoff.
//!
//! The calls are synchronous: the run's I/O threads wait on a small shared tokio runtime,
//! which drives the connections.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result};
use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use tokio::runtime::Runtime;
use userphoto::PhotoSet;

use super::manifest::{Names, Record};
use super::scan::{Input, Shard};
use super::tree::{Inputs, Journal, Outputs, TopFile};

/// How many times an operation is tried in all, beyond the client's own retries.
const ATTEMPTS: u32 = 4;

/// The journal is written out at least this often, and every [`JOURNAL_LINES`] records.
const JOURNAL_EVERY: Duration = Duration::from_secs(1);
const JOURNAL_LINES: usize = 256;

/// The runtime that drives the stores' connections: two threads, since the run's own threads
/// do the waiting.
pub(super) fn runtime() -> Result<Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("precompute-io")
        .enable_all()
        .build()
        .context("cannot start the I/O runtime")
}

/// One store, its URL and the runtime its calls wait on.
struct Store {
    store: Arc<dyn ObjectStore>,
    url: String,
    runtime: Arc<Runtime>,
}

impl Store {
    fn open(url: &str, runtime: Arc<Runtime>) -> Result<Store> {
        // The store's error already names its cause: no chain that says it twice.
        let store = userphoto_stores::open(url)
            .map_err(|error| anyhow::anyhow!("cannot open the store {url}: {error}"))?;
        Ok(Store {
            store,
            url: url.to_owned(),
            runtime,
        })
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// `operation`, tried again with backoff while it fails with anything but "not found".
    fn retry<T, F, Fut>(&self, operation: F) -> object_store::Result<T>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = object_store::Result<T>>,
    {
        self.block_on(self.retry_async(operation))
    }

    fn path(&self, name: &str) -> Result<Path> {
        Path::parse(name).with_context(|| format!("{name:?} cannot name an object in {}", self.url))
    }

    fn get(&self, path: &Path) -> object_store::Result<Vec<u8>> {
        self.retry(|| async {
            let result = self.store.get(path).await?;
            Ok(result.bytes().await?.to_vec())
        })
    }

    fn put(&self, path: &Path, bytes: Bytes) -> Result<()> {
        self.retry(|| self.store.put(path, PutPayload::from(bytes.clone())))
            .with_context(|| format!("cannot write {}/{path}", self.url))?;
        Ok(())
    }

    fn delete(&self, path: &Path) -> Result<()> {
        match self.retry(|| self.store.delete(path)) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(error).with_context(|| format!("cannot remove {}/{path}", self.url)),
        }
    }

    /// The objects directly in the folder `dir`.
    fn children(&self, dir: &Path) -> Result<Vec<Path>> {
        let listing = self
            .retry(|| self.store.list_with_delimiter(Some(dir)))
            .with_context(|| format!("cannot list {}/{dir}", self.url))?;
        Ok(listing.objects.into_iter().map(|o| o.location).collect())
    }
}

/// Whether a failed request may succeed when sent again.
fn transient(error: &object_store::Error) -> bool {
    !matches!(
        error,
        object_store::Error::NotFound { .. }
            | object_store::Error::InvalidPath { .. }
            | object_store::Error::NotSupported { .. }
            | object_store::Error::NotImplemented { .. }
            | object_store::Error::PermissionDenied { .. }
            | object_store::Error::Unauthenticated { .. }
            | object_store::Error::UnknownConfigurationKey { .. }
    )
}

/// The photos of an object store.
pub(super) struct BucketInputs {
    store: Store,
    /// A prefix the listing leaves out (an output inside the input).
    skip: Option<String>,
}

impl BucketInputs {
    pub(super) fn open(url: &str, skip: Option<String>, runtime: Arc<Runtime>) -> Result<Self> {
        Ok(BucketInputs {
            store: Store::open(url, runtime)?,
            skip,
        })
    }
}

impl Inputs for BucketInputs {
    /// Streams the listing, which object stores give in byte order of the keys.
    fn list(&self, recursive: bool, each: &mut dyn FnMut(Input) -> Result<()>) -> Result<()> {
        let url = &self.store.url;
        self.store.block_on(async {
            let mut objects = self.store.store.list(None);
            while let Some(meta) = objects.next().await {
                let meta = meta.with_context(|| format!("cannot list {url}"))?;
                let rel = meta.location.as_ref();
                let hidden = rel.split('/').any(|part| part.starts_with('.'));
                let nested = rel.contains('/');
                let skipped = self.skip.as_deref().is_some_and(|skip| {
                    rel.strip_prefix(skip)
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
                });
                if hidden || (nested && !recursive) || skipped {
                    continue;
                }
                each(Input {
                    rel: rel.to_owned(),
                    size: meta.size,
                    modified: Some(SystemTime::from(meta.last_modified)),
                    etag: meta.e_tag,
                })?;
            }
            Ok(())
        })
    }

    fn read(&self, input: &Input, limit: u64) -> Result<Vec<u8>> {
        let path = self.store.path(&input.rel)?;
        let store = &self.store.store;
        let bytes = if input.size > limit {
            self.store.retry(|| async {
                Ok(store
                    .get_range(&path, 0..limit.saturating_add(1))
                    .await?
                    .to_vec())
            })
        } else {
            self.store.get(&path)
        };
        bytes.with_context(|| format!("cannot read {}/{}", self.store.url, input.rel))
    }

    fn head(&self, input: &Input) -> Result<Vec<u8>> {
        if input.size == 0 {
            return Ok(Vec::new());
        }
        let path = self.store.path(&input.rel)?;
        let end = input.size.min(16);
        self.store
            .retry(|| async { Ok(self.store.store.get_range(&path, 0..end).await?.to_vec()) })
            .with_context(|| format!("cannot read {}/{}", self.store.url, input.rel))
    }
}

/// Output folders (prefixes) and manifests in an object store.
pub(super) struct BucketOutputs {
    store: Store,
}

impl BucketOutputs {
    pub(super) fn open(url: &str, runtime: Arc<Runtime>) -> Result<Self> {
        Ok(BucketOutputs {
            store: Store::open(url, runtime)?,
        })
    }

    fn journal_dir(&self, names: &Names) -> Result<Path> {
        self.store.path(&names.journal())
    }

    fn journal_chunks(&self, names: &Names) -> Result<Vec<Path>> {
        let dir = self.journal_dir(names)?;
        let mut chunks: Vec<Path> = self.store.block_on(async {
            self.store
                .store
                .list(Some(&dir))
                .map_ok(|meta| meta.location)
                .try_collect()
                .await
                .with_context(|| format!("cannot list {}/{dir}", self.store.url))
        })?;
        chunks.sort();
        Ok(chunks)
    }
}

impl Outputs for BucketOutputs {
    fn lock(&self, _names: &Names) -> Result<Box<dyn Send>> {
        Ok(Box::new(()))
    }

    /// Lists from `prefix` on (keys are listed in byte order) and stops at the first key that
    /// does not start with it, so the photos' folders are not listed.
    fn top_files(&self, prefix: &str) -> Vec<TopFile> {
        let Ok(offset) = self.store.path(prefix) else {
            return Vec::new();
        };
        self.store.block_on(async {
            let mut found = Vec::new();
            let mut objects = self.store.store.list_with_offset(None, &offset);
            while let Some(Ok(meta)) = objects.next().await {
                let name = meta.location.as_ref();
                if !name.starts_with(prefix) {
                    break;
                }
                if !name.contains('/') {
                    found.push(TopFile {
                        name: name.to_owned(),
                        modified: Some(SystemTime::from(meta.last_modified)),
                    });
                }
            }
            found
        })
    }

    fn read_top(&self, name: &str) -> Option<Vec<u8>> {
        self.store.get(&self.store.path(name).ok()?).ok()
    }

    fn read_journal(&self, names: &Names) -> Vec<u8> {
        let mut text = Vec::new();
        for chunk in self.journal_chunks(names).unwrap_or_default() {
            if let Ok(bytes) = self.store.get(&chunk) {
                text.extend_from_slice(&bytes);
            }
        }
        text
    }

    /// The journal's chunks are objects `.<manifest>.journal/<run>-<n>`, named so that they
    /// sort in the order they were written.
    fn journal(&self, names: &Names) -> Result<Box<dyn Journal>> {
        let run = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Ok(Box::new(ChunkJournal {
            outputs: BucketOutputs {
                store: Store {
                    store: Arc::clone(&self.store.store),
                    url: self.store.url.clone(),
                    runtime: Arc::clone(&self.store.runtime),
                },
            },
            prefix: format!("{}/{run:020}-{}", names.journal(), std::process::id()),
            buffer: Vec::new(),
            lines: 0,
            chunks: 0,
            last: Instant::now(),
        }))
    }

    /// One PUT, which object stores make visible whole.
    fn write_manifest(&self, names: &Names, text: Vec<u8>) -> Result<String> {
        let path = self.store.path(&names.manifest)?;
        self.store.put(&path, text.into())?;
        for chunk in self.journal_chunks(names)? {
            self.store.delete(&chunk)?;
        }
        Ok(format!("{}/{}", self.store.url, names.manifest))
    }

    fn replace(&self, key: &str, set: &PhotoSet) -> Result<()> {
        let dir = self.store.path(key)?;
        let index = dir.clone().join("photos.json");
        self.store.delete(&index)?;
        let files: Vec<(Path, Bytes)> = set
            .iter()
            .map(|r| {
                (
                    dir.clone()
                        .join(format!("{}.jpg", r.size().name()).as_str()),
                    r.bytes().clone(),
                )
            })
            .collect();
        let puts = files.iter().map(|(path, bytes)| async move {
            self.store
                .retry_async(|| self.store.store.put(path, PutPayload::from(bytes.clone())))
                .await
                .with_context(|| format!("cannot write {}/{path}", self.store.url))
        });
        self.store
            .block_on(futures_util::future::try_join_all(puts))?;
        let keep: BTreeSet<&Path> = files.iter().map(|(path, _)| path).collect();
        for stale in self.store.children(&dir)? {
            if !keep.contains(&stale) {
                self.store.delete(&stale)?;
            }
        }
        let json =
            serde_json::to_vec_pretty(&set.metadata()).context("cannot serialise metadata")?;
        self.store.put(&index, json.into())
    }

    fn read_index(&self, key: &str) -> Option<Vec<u8>> {
        let path = self.store.path(key).ok()?.join("photos.json");
        self.store.get(&path).ok()
    }

    fn sizes(&self, key: &str, names: &[String]) -> Vec<Option<u64>> {
        let Ok(dir) = self.store.path(key) else {
            return vec![None; names.len()];
        };
        let heads = names.iter().map(|name| {
            let path = dir.clone().join(name.as_str());
            async move {
                self.store
                    .retry_async(|| self.store.store.head(&path))
                    .await
                    .ok()
                    .map(|meta| meta.size)
            }
        });
        self.store.block_on(futures_util::future::join_all(heads))
    }

    /// Nothing to clean: an unfinished folder has no `photos.json`, and is written again.
    fn clean_leftovers(
        &self,
        _parents: &BTreeSet<String>,
        _shard: Option<Shard>,
        _manifest_temp: &str,
    ) -> Result<()> {
        Ok(())
    }

    fn output_dirs(&self, recursive: bool) -> Result<Vec<String>> {
        let url = &self.store.url;
        self.store.block_on(async {
            let mut found = Vec::new();
            let mut objects = self.store.store.list(None);
            while let Some(meta) = objects.next().await {
                let meta = meta.with_context(|| format!("cannot list {url}"))?;
                let Some(key) = meta.location.as_ref().strip_suffix("/photos.json") else {
                    continue;
                };
                let hidden = key.split('/').any(|part| part.starts_with('.'));
                if !hidden && (recursive || !key.contains('/')) {
                    found.push(key.to_owned());
                }
            }
            Ok(found)
        })
    }

    /// `photos.json` first, so the folder is never taken for a complete one.
    fn remove_dir(&self, key: &str) -> Result<()> {
        let dir = self.store.path(key)?;
        self.store.delete(&dir.clone().join("photos.json"))?;
        for path in self.store.children(&dir)? {
            self.store.delete(&path)?;
        }
        Ok(())
    }
}

impl Store {
    /// [`Store::retry`] inside an async block.
    async fn retry_async<T, F, Fut>(&self, operation: F) -> object_store::Result<T>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = object_store::Result<T>>,
    {
        let mut delay = Duration::from_millis(200);
        let mut attempt = 1;
        loop {
            match operation().await {
                Err(error) if attempt < ATTEMPTS && transient(&error) => {
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }
}

/// The journal in an object store, which cannot append: records are gathered and written as
/// numbered chunk objects, every second or every [`JOURNAL_LINES`] records.
struct ChunkJournal {
    outputs: BucketOutputs,
    prefix: String,
    buffer: Vec<u8>,
    lines: usize,
    chunks: u32,
    last: Instant,
}

impl Journal for ChunkJournal {
    fn append(&mut self, record: &Record) -> Result<()> {
        self.buffer.extend_from_slice(&record.to_line());
        self.lines += 1;
        if self.lines >= JOURNAL_LINES || self.last.elapsed() >= JOURNAL_EVERY {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        self.last = Instant::now();
        if self.buffer.is_empty() {
            return Ok(());
        }
        let store = &self.outputs.store;
        let path = store.path(&format!("{}-{:08}", self.prefix, self.chunks))?;
        store
            .put(&path, std::mem::take(&mut self.buffer).into())
            .context("cannot write the manifest journal")?;
        self.chunks += 1;
        self.lines = 0;
        Ok(())
    }
}
