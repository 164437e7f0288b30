#!/usr/bin/env bash
# Runs `userphoto precompute`'s object-store tests (cli/tests/stores.rs) against moto's
# S3-compatible server on loopback, started and stopped by server/tests/s3.sh (which installs
# moto from PyPI when missing).
#
#   bash cli/tests/s3.sh            # from the repository root
set -euo pipefail
cd "$(dirname "$0")/../.."
# `--workspace` resolves dependency features as `cargo test --workspace` does, so that after
# it nothing recompiles.
exec bash server/tests/s3.sh cargo test --workspace --test stores
