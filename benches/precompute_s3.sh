#!/usr/bin/env bash
# Photos per second of `userphoto precompute` from S3 to S3 (moto's server on loopback)
# against local disk to local disk, on the same photos: the corpus `photos/` folder, COPIES
# times over (default 4), rendered into an empty output ROUNDS times each (default 3), the
# two taking turns; prints the median wall time and photos per second of each.
#
#   bash benches/precompute_s3.sh              # from the repository root
#   USERPHOTO_CORPUS=/path/to/corpus COPIES=2 ROUNDS=5 bash benches/precompute_s3.sh
#
# Builds the release binary; moto is started (and installed if missing) by server/tests/s3.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" != --with-moto ]; then
    cargo build --release -p userphoto-cli --bin userphoto
    exec bash server/tests/s3.sh bash "$0" --with-moto
fi

corpus="${USERPHOTO_CORPUS:-../shared/corpus}/photos"
copies="${COPIES:-4}"
rounds="${ROUNDS:-3}"
bin="${CARGO_TARGET_DIR:-target}/release/userphoto"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/in"
for i in $(seq 1 "$copies"); do
    for photo in "$corpus"/*; do
        cp "$photo" "$work/in/copy$i-$(basename "$photo")"
    done
done
photos=$(find "$work/in" -type f | wc -l)
bucket="precompute-bench-$$"
python3 - "$work/in" "$bucket" <<'PY'
import os, sys, boto3
folder, bucket = sys.argv[1:]
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
s3.create_bucket(Bucket=bucket)
for name in sorted(os.listdir(folder)):
    s3.upload_file(os.path.join(folder, name), bucket, "in/" + name)
PY

seconds() { python3 -c 'import time; print(f"{time.monotonic():.6f}")'; }
declare -A times
for round in $(seq 1 "$rounds"); do
    for case in disk s3; do
        if [ "$case" = disk ]; then
            rm -rf "$work/out"
            from="$work/in" to="$work/out"
        else
            from="s3://$bucket/in" to="s3://$bucket/out-$round"
        fi
        start=$(seconds)
        "$bin" precompute "$from" "$to" --quiet >/dev/null
        end=$(seconds)
        times[$case]+="$(python3 -c "print($end - $start)") "
    done
done
echo "$photos photos (the corpus photos/ folder x $copies), $rounds rounds, $(nproc) cores"
printf '%-16s %10s %10s\n' case "median s" photos/s
for case in disk s3; do
    python3 - "$case" "$photos" ${times[$case]} <<'PY'
import statistics, sys
case, photos, *times = sys.argv[1:]
median = statistics.median(float(t) for t in times)
label = {"disk": "disk -> disk", "s3": "S3 -> S3"}[case]
print(f"{label:<16} {median:10.3f} {int(photos) / median:10.1f}")
PY
done
