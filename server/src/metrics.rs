//! The server's metrics, in the Prometheus text format (version 0.0.4) at `GET /metrics`.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `userphoto_http_requests_total` | counter | `method`, `route`, `status` |
//! | `userphoto_http_request_duration_seconds` | histogram | `method`, `route` |
//! | `userphoto_ingest_duration_seconds` | histogram | — |
//! | `userphoto_uploads_total` | counter | `outcome` (`stored`, `rejected`), `kind` (the error kind of a rejected upload: `TooSmall` …) |
//! | `userphoto_store_errors_total` | counter | `operation` (`read`, `replace`, `delete`, `ready`) |
//! | `userphoto_ingests_waiting` | gauge | — |
//! | `userphoto_ingests_running` | gauge | — |
//!
//! `route` is the route's template (`/v1.0/users/{id}/photo/$value`), never the path itself,
//! so that the number of series stays bounded whatever clients send.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};

/// The `Content-Type` of `/metrics`.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UploadLabels {
    outcome: &'static str,
    kind: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StoreLabels {
    operation: &'static str,
}

/// The operations `userphoto_store_errors_total` counts.
pub const STORE_OPERATIONS: [&str; 4] = ["read", "replace", "delete", "ready"];

/// What became of an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upload {
    /// Rendered and stored.
    Stored,
    /// Refused, for this reason.
    Rejected(userphoto::ErrorKind),
}

/// Every metric of one server.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_duration: Family<RouteLabels, Histogram>,
    ingest_duration: Histogram,
    uploads: Family<UploadLabels, Counter>,
    store_errors: Family<StoreLabels, Counter>,
    ingests_waiting: Gauge,
    ingests_running: Gauge,
}

fn request_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    /// Every metric at zero.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("userphoto");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template and status",
            requests.clone(),
        );
        let request_duration =
            Family::<RouteLabels, Histogram>::new_with_constructor(request_histogram as fn() -> _);
        registry.register_with_unit(
            "http_request_duration",
            "Time from a request's arrival to its answer",
            Unit::Seconds,
            request_duration.clone(),
        );
        // 10 ms to about 20 s.
        let ingest_duration = Histogram::new(exponential_buckets(0.01, 2.0, 12));
        registry.register_with_unit(
            "ingest_duration",
            "Time to render one upload into its photo set, waiting excluded",
            Unit::Seconds,
            ingest_duration.clone(),
        );
        let uploads = Family::<UploadLabels, Counter>::default();
        registry.register(
            "uploads",
            "Uploads by outcome: stored, or rejected with the kind of error",
            uploads.clone(),
        );
        let store_errors = Family::<StoreLabels, Counter>::default();
        registry.register(
            "store_errors",
            "Failures of the photo store, by operation",
            store_errors.clone(),
        );
        let ingests_waiting = Gauge::default();
        registry.register(
            "ingests_waiting",
            "Uploads read and waiting for a free ingest slot",
            ingests_waiting.clone(),
        );
        let ingests_running = Gauge::default();
        registry.register(
            "ingests_running",
            "Uploads being rendered now",
            ingests_running.clone(),
        );
        // Every series a dashboard plots exists from the start, at 0.
        uploads
            .get_or_create(&UploadLabels {
                outcome: "stored",
                kind: "",
            })
            .get();
        for kind in userphoto::ErrorKind::ALL {
            uploads
                .get_or_create(&UploadLabels {
                    outcome: "rejected",
                    kind: kind.as_str(),
                })
                .get();
        }
        for operation in STORE_OPERATIONS {
            store_errors.get_or_create(&StoreLabels { operation }).get();
        }
        Metrics {
            registry,
            requests,
            request_duration,
            ingest_duration,
            uploads,
            store_errors,
            ingests_waiting,
            ingests_running,
        }
    }

    /// Counts one answered request.
    pub fn request(&self, method: &str, route: &str, status: u16, duration: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.request_duration
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(duration.as_secs_f64());
    }

    /// Counts one upload's outcome.
    pub fn upload(&self, upload: Upload) {
        let labels = match upload {
            Upload::Stored => UploadLabels {
                outcome: "stored",
                kind: "",
            },
            Upload::Rejected(kind) => UploadLabels {
                outcome: "rejected",
                kind: kind.as_str(),
            },
        };
        self.uploads.get_or_create(&labels).inc();
    }

    /// Counts one failure of the store.
    pub fn store_error(&self, operation: &'static str) {
        self.store_errors
            .get_or_create(&StoreLabels { operation })
            .inc();
    }

    /// Records the rendering time of one upload.
    pub fn ingested(&self, duration: Duration) {
        self.ingest_duration.observe(duration.as_secs_f64());
    }

    /// The gauge of uploads waiting for an ingest slot.
    pub fn ingests_waiting(&self) -> &Gauge {
        &self.ingests_waiting
    }

    /// The gauge of uploads being rendered.
    pub fn ingests_running(&self) -> &Gauge {
        &self.ingests_running
    }

    /// Every metric in the Prometheus text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)
            .expect("writing to a String does not fail");
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_conventions() {
        let metrics = Metrics::new();
        metrics.request("GET", "/v1.0/me/photo", 200, Duration::from_millis(3));
        metrics.upload(Upload::Rejected(userphoto::ErrorKind::TooSmall));
        metrics.store_error("read");
        let text = metrics.encode();
        for line in [
            "# TYPE userphoto_http_requests_total counter",
            r#"userphoto_http_requests_total{method="GET",route="/v1.0/me/photo",status="200"} 1"#,
            "# TYPE userphoto_http_request_duration_seconds histogram",
            r#"userphoto_uploads_total{outcome="rejected",kind="TooSmall"} 1"#,
            r#"userphoto_store_errors_total{operation="read"} 1"#,
            "# TYPE userphoto_ingest_duration_seconds histogram",
            "# TYPE userphoto_ingests_waiting gauge",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }
}
