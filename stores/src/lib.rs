//! Object stores named by URL, configured from the environment the way each cloud's own
//! tools are: the one reading of `AWS_*`, `GOOGLE_*` and `AZURE_*` that the userphoto server
//! (`--store`) and the `userphoto precompute` command share.
//!
//! ```no_run
//! // AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, and for an S3-compatible server
//! // AWS_ENDPOINT_URL (and AWS_ALLOW_HTTP=true for plain http) configure the client.
//! let store = userphoto_stores::open("s3://photos/users")?;
//! # Ok::<(), object_store::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::sync::Arc;

use object_store::ObjectStore;

/// A failure to open a store.
pub type Error = object_store::Error;

/// The URL schemes [`open`] takes, as its error messages list them.
pub const SCHEMES: &str =
    "s3://bucket/prefix, gs://bucket/prefix, az://container/prefix, file:///path, memory://";

/// Opens an object store from a URL:
///
/// - `s3://bucket[/prefix]`: S3 or any S3-compatible server, configured by the `AWS_*`
///   environment variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
///   `AWS_REGION`, `AWS_ENDPOINT_URL` for a custom endpoint, `AWS_ALLOW_HTTP` …);
/// - `gs://bucket[/prefix]`: Google Cloud Storage, configured by `GOOGLE_*`
///   (`GOOGLE_SERVICE_ACCOUNT` or `GOOGLE_APPLICATION_CREDENTIALS` …);
/// - `az://container[/prefix]`: Azure Blob Storage, configured by `AZURE_*`
///   (`AZURE_STORAGE_ACCOUNT_NAME`, `AZURE_STORAGE_ACCOUNT_KEY` …);
/// - `file:///path`: a local folder (created if missing);
/// - `memory://`: an empty store in memory.
///
/// Requests are retried with exponential backoff on server errors and timeouts (the
/// clients' default: up to 10 retries within 3 minutes).
///
/// # Errors
///
/// An unknown scheme, or a store that cannot be configured (missing region, bad folder …).
pub fn open(url: &str) -> Result<Arc<dyn ObjectStore>, Error> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| invalid(format!("{url:?} is not a store URL ({SCHEMES})")))?;
    let bucket_and_prefix = || {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(invalid(format!("{url:?} names no bucket")));
        }
        Ok((bucket, prefix))
    };
    match scheme {
        "s3" => {
            let (bucket, prefix) = bucket_and_prefix()?;
            let s3 = object_store::aws::AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .build()?;
            Ok(with_prefix(Arc::new(s3), prefix))
        }
        "gs" => {
            let (bucket, prefix) = bucket_and_prefix()?;
            let gcs = object_store::gcp::GoogleCloudStorageBuilder::from_env()
                .with_bucket_name(bucket)
                .build()?;
            Ok(with_prefix(Arc::new(gcs), prefix))
        }
        "az" => {
            let (container, prefix) = bucket_and_prefix()?;
            let azure = object_store::azure::MicrosoftAzureBuilder::from_env()
                .with_container_name(container)
                .build()?;
            Ok(with_prefix(Arc::new(azure), prefix))
        }
        "file" => open_dir(std::path::Path::new(rest)),
        "memory" => Ok(Arc::new(object_store::memory::InMemory::new())),
        _ => Err(invalid(format!(
            "unknown store scheme {scheme:?}; use one of {SCHEMES}"
        ))),
    }
}

/// Opens a local folder as an object store, creating it if missing.
///
/// # Errors
///
/// The folder cannot be created or opened.
pub fn open_dir(dir: &std::path::Path) -> Result<Arc<dyn ObjectStore>, Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::Generic {
        store: "LocalFileSystem",
        source: Box::new(e),
    })?;
    let local =
        object_store::local::LocalFileSystem::new_with_prefix(dir)?.with_automatic_cleanup(true);
    Ok(Arc::new(local))
}

fn with_prefix(store: Arc<dyn ObjectStore>, prefix: &str) -> Arc<dyn ObjectStore> {
    let prefix = prefix.trim_matches('/');
    if prefix.is_empty() {
        store
    } else {
        Arc::new(object_store::prefix::PrefixStore::new(store, prefix))
    }
}

fn invalid(message: String) -> Error {
    Error::Generic {
        store: "userphoto",
        source: message.into(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn urls_without_a_known_scheme_or_bucket_are_refused() {
        for bad in [
            "photos",
            "ftp://host/x",
            "s3://",
            "s3:///prefix",
            "gs://",
            "az://",
        ] {
            let error = super::open(bad)
                .err()
                .unwrap_or_else(|| panic!("{bad} opened"));
            assert!(!error.to_string().is_empty(), "{bad}");
        }
    }

    #[test]
    fn a_memory_store_opens() {
        assert!(super::open("memory://").is_ok());
    }
}
