#!/usr/bin/env bash
# Start-up and idle memory of the release server (BENCHMARKS.md, "Start-up and idle memory").
# For each case — no plugins, and the three bundled plugins with no compiled-plugin cache (cold)
# and with it (warm) — starts the server RUNS times on one data folder, times the spawn to the
# first 200 from /healthz, then reads the idle resident set 2 s later from /proc/PID/status
# (VmRSS) and /proc/PID/smaps_rollup (Anonymous). Prints median and range per case.
# Usage: scripts/bench-startup.sh [RUNS]   (default 10; builds the plugins if missing).
# PROFILE=dev measures the dev-profile binary (dependencies at opt-level 2) instead.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
case ${PROFILE:-release} in
  release) cargo build --release --quiet -p prasang-server; dir=release ;;
  dev) cargo build --quiet -p prasang-server; dir=debug ;;
  *) echo "PROFILE is release or dev" >&2; exit 2 ;;
esac
[ -e target/plugins/email.wasm ] || bash plugins/build.sh
exec python3 - "$runs" "target/$dir/prasang-server" <<'EOF'
import os, shutil, socket, statistics, subprocess, sys, tempfile, time

RUNS = int(sys.argv[1])
SERVER = os.path.abspath(sys.argv[2])
PLUGINS = os.path.abspath("target/plugins")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def kb(path, field):
    with open(path) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def once(data, plugins):
    port = free_port()
    args = [SERVER, "--data-dir", data, "--bind", f"127.0.0.1:{port}", "--log", "warn",
            "--plugins-dir", PLUGINS if plugins else os.path.join(data, "no-plugins")]
    start = time.perf_counter()
    server = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    try:
        while not healthy(port):
            if server.poll() is not None:
                sys.exit(f"the server exited with {server.returncode}")
            if time.perf_counter() - start > 30:
                sys.exit("no healthy /healthz within 30 s")
            time.sleep(0.001)
        ms = (time.perf_counter() - start) * 1000
        time.sleep(2)
        rss = kb(f"/proc/{server.pid}/status", "VmRSS") / 1024
        anon = kb(f"/proc/{server.pid}/smaps_rollup", "Anonymous") / 1024
    finally:
        server.terminate()
        server.wait()
    return ms, rss, anon


def case(name, plugins, cold):
    data = tempfile.mkdtemp(prefix="prasang-startup-")
    try:
        once(data, plugins)  # creates the store (and the cache) outside the timing
        results = []
        for _ in range(RUNS):
            if cold:
                shutil.rmtree(os.path.join(data, "plugin-cache"), ignore_errors=True)
            results.append(once(data, plugins))
    finally:
        shutil.rmtree(data, ignore_errors=True)
    cols = list(zip(*results))
    show = lambda xs, unit: f"{statistics.median(xs):6.1f} {unit} ({min(xs):.1f}-{max(xs):.1f})"
    print(f"{name:28} start {show(cols[0], 'ms')}   idle RSS {show(cols[1], 'MB')}"
          f"   anonymous {show(cols[2], 'MB')}")


print(f"{RUNS} starts each, {os.cpu_count()} cores, {os.uname().release}")
case("no plugins", False, False)
case("3 plugins, cold (no cache)", True, True)
case("3 plugins, warm (cached)", True, False)
EOF
