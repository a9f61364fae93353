#!/usr/bin/env bash
# Builds the release server once for the suites that drive it over HTTP (the browser tests,
# schemathesis, kill -9 under load); they find it at $PRASANG_SERVER_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p prasang-server
