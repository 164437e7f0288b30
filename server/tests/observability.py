"""What an operator sees of userphoto-server: /metrics read with the Prometheus Python client's
text parser (prometheus_client.parser, the reference parser of the text format), JSON and text
logs read off a pipe, the request-id header, /readyz and /healthz.

    python observability.py SERVER_BINARY PHOTO

Run by server/tests/observability.sh, which makes the venv.
"""

import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib

from prometheus_client.parser import text_string_to_metric_families

SERVER, PHOTO = sys.argv[1], sys.argv[2]
SECRET = "observability-test-secret-0123456789"
ENV = {**os.environ, "USERPHOTO_JWT_SECRET": SECRET, "RUST_LOG": "info"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(method, url, token=None, body=None):
    req = urllib.request.Request(url, method=method, data=body)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class Server:
    def __init__(self, *args, env=None):
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        # stdout is a pipe, as under a service manager or `docker logs`.
        self.process = subprocess.Popen(
            [SERVER, "--listen", f"127.0.0.1:{self.port}", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env or ENV,
        )
        for _ in range(100):
            try:
                if request("GET", f"{self.origin}/healthz")[0] == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.process.stderr.read()!r}")
            time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def stop(self):
        """Stops the server (SIGTERM) and returns what it wrote on stdout."""
        self.process.terminate()
        out, _ = self.process.communicate(timeout=30)
        return out.decode()


def grey_png(side):
    """A side x side grey PNG."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    rows = b"".join(b"\x00" + b"\x80" * side for _ in range(side))
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def token(user, scopes):
    return subprocess.run(
        [SERVER, "token", "--user", user, "--scopes", scopes],
        env=ENV, check=True, capture_output=True, text=True,
    ).stdout.strip()


def scrape(url):
    status, headers, body = request("GET", url)
    assert status == 200, status
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4"), headers
    return {f.name: f for f in text_string_to_metric_families(body.decode())}


def value(families, family, sample, **labels):
    """The value of one sample of a parsed family (0 when the series does not exist yet)."""
    for s in families[family].samples:
        if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return 0.0


def check_metrics_and_json_logs(photo):
    data = tempfile.mkdtemp(prefix="userphoto-observability-")
    metrics_port = free_port()
    server = Server(
        "--store", f"file://{data}", "--log-format", "json",
        "--metrics-listen", f"127.0.0.1:{metrics_port}",
    )
    metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
    try:
        own = token("alice@contoso.com", "User.ReadWrite")
        before = scrape(metrics_url)
        # Series of every outcome and store operation exist from the start, at 0, so that
        # rate() sees their first increase.
        corrupt = [s for s in before["userphoto_uploads"].samples
                   if s.labels == {"outcome": "rejected", "kind": "Corrupt"}]
        assert [s.value for s in corrupt] == [0.0], corrupt
        operations = {s.labels["operation"] for s in before["userphoto_store_errors"].samples}
        assert operations == {"read", "replace", "delete", "ready"}, operations
        # /metrics is not on the API's address when it has one of its own.
        assert request("GET", f"{server.origin}/metrics")[0] == 404

        ids = []
        value_route = "/api/v2.0/me/photo/$value"
        put = f"{server.origin}/api/v2.0/me/photo/$value"
        for body, expected in [(photo, 200), (photo, 200), (b"%PDF-1.4 not a photo", 415)]:
            status, headers, _ = request("PUT", put, own, body)
            assert status == expected, status
            ids.append(headers["request-id"])
        status, headers, _ = request("PUT", put, own, grey_png(40))
        assert status == 400, status
        ids.append(headers["request-id"])
        for _ in range(3):
            status, headers, _ = request("GET", f"{server.origin}/api/v2.0/me/photo", own)
            assert status == 200
            ids.append(headers["request-id"])
        status, headers, _ = request("GET", f"{server.origin}/api/v2.0/me/photo")
        assert status == 401
        ids.append(headers["request-id"])
        assert len(set(ids)) == len(ids), "a fresh request id each time"
        # A JSON batch is counted as itself, and each request in it under its own route.
        batch = json.dumps({"requests": [
            {"id": "bytes", "method": "GET", "url": "/me/photo/$value"},
            {"id": "small", "method": "GET", "url": "/me/photos/48x48/$value"},
            {"id": "other", "method": "GET", "url": "/users/bob@contoso.com/photo"},
        ]}).encode()
        status, headers, body = request("POST", f"{server.origin}/v1.0/$batch", own, batch)
        assert status == 200, (status, body)
        assert sorted(r["status"] for r in json.loads(body)["responses"]) == [200, 200, 403]
        batch_id = headers["request-id"]

        after = scrape(metrics_url)
        for name, kind in [
            ("userphoto_http_requests", "counter"),
            ("userphoto_http_request_duration_seconds", "histogram"),
            ("userphoto_ingest_duration_seconds", "histogram"),
            ("userphoto_uploads", "counter"),
            ("userphoto_store_errors", "counter"),
            ("userphoto_ingests_waiting", "gauge"),
            ("userphoto_ingests_running", "gauge"),
        ]:
            assert after[name].type == kind, (name, after[name].type)
        moved = lambda family, sample, **labels: (
            value(after, family, sample, **labels) - value(before, family, sample, **labels)
        )
        requests = "userphoto_http_requests"
        assert moved(requests, "userphoto_http_requests_total", route=value_route, method="PUT", status="200") == 2
        assert moved(requests, "userphoto_http_requests_total", route=value_route, method="PUT", status="415") == 1
        assert moved(requests, "userphoto_http_requests_total", route=value_route, method="PUT", status="400") == 1
        assert moved(requests, "userphoto_http_requests_total", route="/api/v2.0/me/photo", method="GET", status="200") == 3
        assert moved(requests, "userphoto_http_requests_total", route="/api/v2.0/me/photo", method="GET", status="401") == 1
        assert moved(requests, "userphoto_http_requests_total", route="/v1.0/$batch", method="POST", status="200") == 1
        for route, status in [("/v1.0/me/photo/$value", "200"), ("/v1.0/me/photos/{size}/$value", "200"),
                              ("/v1.0/users/{id}/photo", "403")]:
            assert moved(requests, "userphoto_http_requests_total", route=route, method="GET", status=status) == 1, route
        uploads = "userphoto_uploads"
        assert moved(uploads, "userphoto_uploads_total", outcome="stored") == 2
        assert moved(uploads, "userphoto_uploads_total", outcome="rejected", kind="UnknownFormat") == 1
        assert moved(uploads, "userphoto_uploads_total", outcome="rejected", kind="TooSmall") == 1
        ingest = "userphoto_ingest_duration_seconds"
        assert moved(ingest, f"{ingest}_count") == 4
        assert moved(ingest, f"{ingest}_sum") > 0
        duration = "userphoto_http_request_duration_seconds"
        assert moved(duration, f"{duration}_count", route=value_route, method="PUT") == 4
        buckets = [s for s in after[duration].samples
                   if s.name == f"{duration}_bucket" and s.labels["route"] == value_route]
        counts = [s.value for s in sorted(buckets, key=lambda s: float(s.labels["le"]))]
        assert buckets and counts == sorted(counts), counts
        assert value(after, duration, f"{duration}_bucket", route=value_route, method="PUT", le="+Inf") == \
            value(after, duration, f"{duration}_count", route=value_route, method="PUT")
        assert value(after, "userphoto_ingests_waiting", "userphoto_ingests_waiting") == 0
        assert value(after, "userphoto_ingests_running", "userphoto_ingests_running") == 0
    finally:
        out = server.stop()

    # Every line is one JSON object; every line of a request carries its id.
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines, "the server logged nothing"
    by_id = {}
    for line in lines:
        assert {"timestamp", "level", "message"} <= line.keys(), line
        request_id = line.get("span", {}).get("request_id")
        if request_id:
            by_id.setdefault(request_id, []).append(line)
    for request_id in ids:
        messages = [line["message"] for line in by_id.get(request_id, [])]
        assert "answered" in messages, (request_id, messages)
    stored = [line for line in lines if line["message"] == "photo replaced"]
    assert len(stored) == 2 and all(line["span"]["request_id"] in ids[:2] for line in stored), stored
    batched = [line for line in by_id.get(batch_id, []) if line["message"] == "answered in a batch"]
    assert sorted((line["batch_id"], line["status"]) for line in batched) == \
        [("bytes", 200), ("other", 403), ("small", 200)], batched
    rejected = [line for line in lines if line["message"] == "upload rejected"]
    assert {line["span"]["request_id"] for line in rejected} == {ids[2], ids[3]}, rejected
    print(f"metrics and JSON logs: {len(lines)} log lines, {len(ids)} requests")


def check_text_logs():
    server = Server("--store", "memory://")
    status, headers, _ = request("GET", f"{server.origin}/api/v2.0/me/photo")
    assert status == 401
    out = server.stop()
    assert "\x1b" not in out, "colour codes in logs written to a pipe"
    assert f"request_id={headers['request-id']}" in out, out
    print("text logs: no escape codes on a pipe, request id on the line")


def check_readiness():
    server = Server("--store", "memory://")
    try:
        assert request("GET", f"{server.origin}/readyz")[0] == 200
        # /metrics is on the API's address without --metrics-listen.
        assert "userphoto_store_errors" in scrape(f"{server.origin}/metrics")
    finally:
        server.stop()
    # An S3 endpoint where nothing listens: alive, not ready.
    closed = free_port()
    env = {**ENV, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{closed}", "AWS_ALLOW_HTTP": "true",
           "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "us-east-1"}
    server = Server("--store", "s3://nowhere/photos", env=env)
    try:
        assert request("GET", f"{server.origin}/healthz")[0] == 200
        started = time.monotonic()
        status, _, body = request("GET", f"{server.origin}/readyz")
        assert status == 503, (status, body)
        assert time.monotonic() - started < 10
        errors = scrape(f"{server.origin}/metrics")
        assert value(errors, "userphoto_store_errors", "userphoto_store_errors_total", operation="ready") == 1
    finally:
        server.stop()
    print("readiness: 200 with a store, 503 without; liveness 200 either way")


if __name__ == "__main__":
    with open(PHOTO, "rb") as f:
        check_metrics_and_json_logs(f.read())
    check_text_logs()
    check_readiness()
    print("observability: all checks passed")
