#!/usr/bin/env bash
# Installs (once per machine) the Kafka-protocol broker the Kafka suite runs against: tansu, an
# Apache-2.0 broker in Rust (~8 minutes to build on 2 cores). It goes to a fixed folder outside
# the checkout, so later runs on the same machine (and other checkouts) reuse it, but only when
# its version is the pinned one. Prints the binary's path. Two runs at once take turns (a lock):
# .ci/run starts one in the background early, and the Kafka suite's own run waits for it.
set -euo pipefail
version=0.6.0
tools="${PRASANG_TOOLS:-$HOME/.cache/prasang-tools}"
root="$tools/tansu-$version"
bin="$root/bin/tansu"
mkdir -p "$tools"
exec 9>"$tools/tansu.lock"
flock 9
if [ ! -x "$bin" ] || ! "$bin" --version 2>/dev/null | grep -qx "tansu $version"; then
    rm -rf "$root"
    # `dynostore` brings the in-memory storage engine the tests use (`memory://`); the build
    # warns that a locked dependency (spin 0.10.0) was yanked, and succeeds.
    cargo install --quiet --locked --root "$root" --version "$version" tansu \
        --features dynostore >&2
fi
echo "$bin"
