#!/usr/bin/env bash
# Checks deploy/precompute-job.yaml as a cluster takes it and as its pods run:
#
# 1. strictly against the Kubernetes API schemas of every version the Job is documented for
#    (kubernetes-validate, from PyPI): an unknown, misplaced or missing field fails;
# 2. the pods' own command: every index of the Indexed Job runs the container's `args` as
#    written, with the Job's `env`, `JOB_COMPLETION_INDEX` set as Kubernetes sets it and the
#    credentials the Secret would give, `parallelism` at a time, against moto's S3 server on
#    loopback (started by server/tests/s3.sh) holding the buckets the manifest names; every
#    photo must come out exactly once over the shards' manifests, and a shard holding a
#    rejected photo must exit with the code the Job's podFailurePolicy fails the index on.
#
#   bash cli/tests/kubernetes.sh            # from the repository root, after a debug build
#   bash cli/tests/kubernetes.sh --prepare  # only make the venv (CI does it while cargo builds)
#
# USERPHOTO_BIN is the command to run (default: the debug build).
set -euo pipefail
cd "$(dirname "$0")/../.."

target=${CARGO_TARGET_DIR:-target}
venv=$target/kubernetes-venv
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
"$venv/bin/python" -c "import kubernetes_validate, yaml, boto3" 2>/dev/null ||
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "kubernetes-validate>=1.31,<2" "PyYAML>=6,<7" "boto3>=1.34,<2"
[[ ${1:-} != --prepare ]] || exit 0

manifest=deploy/precompute-job.yaml
for version in 1.29.0 1.30.0 1.31.0 1.32.0 1.33.0 1.34.0 1.35.0 1.36.0 1.37.0; do
    "$venv/bin/kubernetes-validate" --strict --quiet -k "$version" "$manifest"
done
echo "ok - $manifest validates strictly against Kubernetes 1.29 to 1.37"

export USERPHOTO_BIN=${USERPHOTO_BIN:-$target/debug/userphoto}
[[ -x $USERPHOTO_BIN ]] || cargo build -p userphoto-cli
exec bash server/tests/s3.sh "$venv/bin/python" - "$manifest" <<'PY'
"""Runs the Indexed Job's pods as processes against the S3 server in AWS_ENDPOINT_URL."""
import concurrent.futures
import json
import os
import subprocess
import sys
import urllib.parse

import boto3
import yaml

endpoint = os.environ["AWS_ENDPOINT_URL"]
binary = os.environ["USERPHOTO_BIN"]
job = next(doc for doc in yaml.safe_load_all(open(sys.argv[1])) if doc and doc["kind"] == "Job")
spec = job["spec"]
pod = spec["template"]["spec"]
(container,) = pod["containers"]
args = container["args"]
assert spec["completionMode"] == "Indexed" and pod["restartPolicy"] == "Never"
shards = int(args[args.index("--shards") + 1])
assert spec["completions"] == shards, "completions must equal --shards"
fail_codes = [rule["onExitCodes"]["values"] for rule in spec["podFailurePolicy"]["rules"]
              if rule["action"] == "FailIndex"]
assert fail_codes == [[1]], fail_codes

urls = [a for a in args if a.startswith("s3://")]
assert len(urls) == 2, args
(source_bucket, source_prefix), (out_bucket, out_prefix) = [
    (u.netloc, u.path.strip("/")) for u in map(urllib.parse.urlparse, urls)]


s3 = boto3.client("s3", endpoint_url=endpoint)
for bucket in {source_bucket, out_bucket}:
    s3.create_bucket(Bucket=bucket)
photos = {}
for copy in range(4):
    for name in ["portrait.jpg", "progressive_420_restarts.jpg", "progressive_422.jpg"]:
        photos[f"team{copy}/{copy}-{name}"] = open(f"testdata/{name}", "rb").read()
photos["team0/damaged.jpg"] = open("testdata/broken.jpg", "rb").read()
for key, data in photos.items():
    s3.put_object(Bucket=source_bucket, Key=f"{source_prefix}/{key}", Body=data)


def read(key):
    return s3.get_object(Bucket=out_bucket, Key=f"{out_prefix}/{key}")["Body"].read()


# What the pod's environment holds: the Job's env, the Secret's keys (here those of the
# loopback server), and the index Kubernetes sets.
base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
secret = {k: os.environ[k] for k in
          ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "AWS_ALLOW_HTTP"]}


def run(index):
    env = dict(base, **secret, JOB_COMPLETION_INDEX=str(index))
    env.update({e["name"]: e["value"] for e in container.get("env", [])})
    done = subprocess.run([binary, *args], env=env, capture_output=True, text=True)
    return index, done.returncode, done.stderr


with concurrent.futures.ThreadPoolExecutor(spec["parallelism"]) as pool:
    outcomes = list(pool.map(run, range(shards)))
records = []
for index, code, stderr in outcomes:
    assert code in (0, 1), (index, code, stderr)
    manifest = read(f"manifest-{index + 1}-of-{shards}.jsonl")
    lines = [json.loads(line) for line in manifest.decode().splitlines()]
    rejected = [r for r in lines if r["status"] == "rejected"]
    assert code == (1 if rejected else 0), (index, code, stderr)
    records += lines
paths = sorted(r["path"] for r in records)
assert paths == sorted(photos), paths
for record in records:
    if record["status"] == "ingested":
        index = json.loads(read(f"{record['output']}/photos.json"))
        assert len(index["value"]) == len(record["renditions"]) >= 1, record
assert [r["path"] for r in records if r["status"] == "rejected"] == ["team0/damaged.jpg"]
print(f"ok - the Job's {shards} pods, {spec['parallelism']} at a time, rendered each of "
      f"{len(photos)} photos once; the shard with the damaged one exited 1")
PY
