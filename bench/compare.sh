#!/usr/bin/env bash
# tlsdiag beside its peers on the standard workload (../shared/bench), page
# cache warm. Generates the workloads if absent (in $BENCH_DIR, default
# /tmp/tlsdiag-bench; never in the repository).
#
#   bash bench/compare.sh            # the 1 GB workloads
#   SIZE=10M bash bench/compare.sh   # a quick variant (CI runs this one)
#   RUNS=10 bash bench/compare.sh    # more runs per tool (default 5; tshark 1)
#   WORKLOADS=handshakes bash bench/compare.sh   # one workload only (default: bulk handshakes)
#
# Times come from hyperfine (Debian package `hyperfine`; the median of RUNS
# runs after one warm-up), peak memory from one more run under
# `/usr/bin/time -v`. Without hyperfine, that one timed run is used. Prints
# one row per workload × tool: seconds, MB/s, max RSS, then the ratios the
# performance issue asks for: against the floor and the peers, html and text
# against jsonl, and two files (side by side, --jobs default) against one.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-1G}
RUNS=${RUNS:-5}
TSHARK_RUNS=${TSHARK_RUNS:-1}
DIR=${BENCH_DIR:-/tmp/tlsdiag-bench}
GEN=../shared/bench/make-workload.py
mkdir -p "$DIR"
cargo build --release --quiet --bin tlsdiag --example walk
BIN=target/release/tlsdiag
WALK=target/release/examples/walk
HYPERFINE=$(command -v hyperfine || true)
[ -n "$HYPERFINE" ] || echo "note: hyperfine not found; one timed run per tool" >&2

declare -A wl=([bulk]="--size $SIZE" [handshakes]="--size $SIZE --bulk 0")

# measure RUNS CMD... -> "seconds max_rss_kb"
measure() {
    local runs=$1 out secs rss
    shift
    out=$(mktemp)
    /usr/bin/time -v -o "$out" "$@" >/dev/null 2>&1 || true
    secs=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$out")
    rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$out")
    if [ -n "$HYPERFINE" ]; then
        "$HYPERFINE" --shell=none --ignore-failure --warmup 1 --runs "$runs" \
            --style none --export-json "$out" "$(printf '%q ' "$@")" >/dev/null 2>&1 &&
            secs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$out")
    fi
    rm -f "$out"
    echo "$secs $rss"
}

printf '%-11s %-10s %9s %9s %10s\n' workload tool seconds MB/s "max RSS"
for name in ${WORKLOADS:-bulk handshakes}; do
    f=$DIR/wl-$name-$SIZE.pcap
    if [ ! -f "$f" ]; then
        if [ ! -f "$GEN" ]; then echo "no $GEN: cannot generate the workload" >&2; exit 0; fi
        # shellcheck disable=SC2086
        python3 "$GEN" "$f" ${wl[$name]} >/dev/null
    fi
    mb=$(( $(stat -c %s "$f") / 1000000 ))
    cat "$f" >/dev/null # warm the page cache
    declare -A sec=()
    for tool in floor tlsdiag ssldump tshark html text 2-files; do
        runs=$RUNS
        case $tool in
            floor) cmd=("$WALK" "$f") ;;
            tlsdiag) cmd=("$BIN" analyze --format jsonl --fail-on never "$f") ;;
            html | text) cmd=("$BIN" analyze --format "$tool" --fail-on never "$f") ;;
            # Two files side by side (the same one twice: equal work, page cache warm).
            2-files) cmd=("$BIN" analyze --format jsonl --fail-on never "$f" "$f") ;;
            ssldump) command -v ssldump >/dev/null || continue; cmd=(ssldump -n -r "$f") ;;
            tshark) command -v tshark >/dev/null || continue
                runs=$TSHARK_RUNS
                cmd=(tshark -r "$f" -Y 'tls.handshake.type==1' -T fields -e frame.number -e ip.src -e tcp.srcport -e tls.handshake.extensions_server_name) ;;
        esac
        read -r s rss < <(measure "$runs" "${cmd[@]}")
        sec[$tool]=$s
        [ "$tool" = 2-files ] && bytes=$((2 * mb)) || bytes=$mb
        awk -v n="$name" -v t="$tool" -v s="$s" -v mb="$bytes" -v r="$rss" \
            'BEGIN { printf "%-11s %-10s %9.2f %9.0f %8.0f MB\n", n, t, s, (s > 0 ? mb / s : 0), r / 1024 }'
    done
    awk -v f="${sec[floor]:-0}" -v t="${sec[tlsdiag]:-0}" -v s="${sec[ssldump]:-0}" -v w="${sec[tshark]:-0}" -v n="$name" 'BEGIN {
        if (t > 0) printf "%-11s ratios: %.1f%% of the floor throughput, %.1fx faster than ssldump, %.1fx faster than tshark\n", n, 100 * f / t, (s > 0 ? s / t : 0), (w > 0 ? w / t : 0) }'
    awk -v t="${sec[tlsdiag]:-0}" -v h="${sec[html]:-0}" -v x="${sec[text]:-0}" -v two="${sec[2-files]:-0}" -v n="$name" 'BEGIN {
        if (t > 0 && two > 0) printf "%-11s formats: html %.2fx and text %.2fx the time of jsonl; two files %.2fx the throughput of one\n", n, h / t, x / t, 2 * t / two }'
done
