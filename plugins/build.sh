#!/usr/bin/env bash
# Builds every channel plugin (plugins/*, examples/* with a plugin.toml) into a WebAssembly
# component and installs it beside its manifest:
#   target/plugins/<id>.wasm + <id>.toml            bundled plugins
#   target/plugins-examples/<id>.wasm + <id>.toml   example plugins
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v rustup >/dev/null; then
    rustup target add wasm32-unknown-unknown >/dev/null
fi
exec cargo run --quiet -p prasang-plugin-build -- "$@"
