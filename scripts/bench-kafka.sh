#!/usr/bin/env bash
# The Kafka exporter's benchmarks (BENCHMARKS.md, "Streaming the log to Kafka"): starts a local
# tansu broker (scripts/tansu.sh installs it once), then
#   1. the export throughput beside a plain producer's ceiling (`bench --kafka-export`), and
#   2. PAIRS alternating durable flash sales (30,000 buyers, 15,000 seats) without and with the
#      exporter on (`bench` and `bench --kafka-brokers`), whose booking rates BENCHMARKS.md
#      compares.
# Usage: bash scripts/bench-kafka.sh [ENTRIES=200000] [PAIRS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
entries="${1:-200000}"
pairs="${2:-3}"
tansu="$(bash scripts/tansu.sh)"
cargo build --release --quiet -p prasang-server
server=target/release/prasang-server
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$tansu" broker --listener-url "tcp://127.0.0.1:$port" --advertised-listener-url "tcp://127.0.0.1:$port" \
    --storage-engine memory://tansu/ >/dev/null 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null || true' EXIT
sleep 0.5
# tansu reports "listening" and then exits when the port was taken meanwhile: check it still runs.
kill -0 "$broker" 2>/dev/null || { echo "tansu did not start on port $port" >&2; exit 1; }
"$server" bench --kafka-brokers "127.0.0.1:$port" --kafka-export "$entries"
sale=(--users 30000 --capacity 15000)
for _ in $(seq "$pairs"); do
    "$server" bench "${sale[@]}"
    "$server" bench "${sale[@]}" --kafka-brokers "127.0.0.1:$port"
done
