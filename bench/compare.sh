#!/usr/bin/env bash
# tlsdiag beside its peers on the standard workload (../shared/bench), one
# run, page cache warm. Generates the workloads if absent (in $BENCH_DIR,
# default /tmp/tlsdiag-bench; never in the repository).
#
#   bash bench/compare.sh            # the 1 GB workloads
#   SIZE=10M bash bench/compare.sh   # a quick variant (CI runs this one)
#
# Prints one row per workload × tool: seconds, MB/s, max RSS (from
# /usr/bin/time -v), and the ratios the performance issue asks for.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-1G}
DIR=${BENCH_DIR:-/tmp/tlsdiag-bench}
GEN=../shared/bench/make-workload.py
mkdir -p "$DIR"
cargo build --release --quiet --bin tlsdiag --example walk
BIN=target/release/tlsdiag
WALK=target/release/examples/walk

declare -A wl=([bulk]="--size $SIZE" [handshakes]="--size $SIZE --bulk 0")
measure() { # NAME FILE CMD... -> "seconds max_rss_kb"
    local out
    out=$(mktemp)
    /usr/bin/time -o "$out" -f '%e %M' "${@:3}" >/dev/null 2>&1 || true
    tail -n 1 "$out"
    rm -f "$out"
}
printf '%-11s %-10s %9s %9s %10s\n' workload tool seconds MB/s "max RSS"
for name in bulk handshakes; do
    f=$DIR/wl-$name-$SIZE.pcap
    if [ ! -f "$f" ]; then
        if [ ! -f "$GEN" ]; then echo "no $GEN: cannot generate the workload" >&2; exit 0; fi
        # shellcheck disable=SC2086
        python3 "$GEN" "$f" ${wl[$name]} >/dev/null
    fi
    mb=$(( $(stat -c %s "$f") / 1000000 ))
    cat "$f" >/dev/null # warm the page cache
    declare -A sec=()
    for tool in floor tlsdiag ssldump tshark; do
        case $tool in
            floor) cmd=("$WALK" "$f") ;;
            tlsdiag) cmd=("$BIN" analyze --format jsonl --fail-on never "$f") ;;
            ssldump) command -v ssldump >/dev/null || continue; cmd=(ssldump -n -r "$f") ;;
            tshark) command -v tshark >/dev/null || continue
                cmd=(tshark -r "$f" -Y 'tls.handshake.type==1' -T fields -e frame.number -e ip.src -e tcp.srcport -e tls.handshake.extensions_server_name) ;;
        esac
        read -r s rss < <(measure "$tool" "$f" "${cmd[@]}")
        sec[$tool]=$s
        awk -v n="$name" -v t="$tool" -v s="$s" -v mb="$mb" -v r="$rss" \
            'BEGIN { printf "%-11s %-10s %9.2f %9.0f %8.0f MB\n", n, t, s, (s > 0 ? mb / s : 0), r / 1024 }'
    done
    awk -v f="${sec[floor]:-0}" -v t="${sec[tlsdiag]:-0}" -v s="${sec[ssldump]:-0}" -v w="${sec[tshark]:-0}" -v n="$name" 'BEGIN {
        if (t > 0) printf "%-11s ratios: %.1f%% of the floor throughput, %.1fx faster than ssldump, %.1fx faster than tshark\n", n, 100 * f / t, (s > 0 ? s / t : 0), (w > 0 ? w / t : 0) }'
done
