#!/usr/bin/env bash
# Runs every test: builds the Wasm channel plugins (installing the wasm target), then the
# whole workspace's test suites with all features (the plugin host included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash plugins/build.sh
cargo test --workspace --all-features
