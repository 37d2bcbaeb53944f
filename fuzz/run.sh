#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600), two at a time, with
# a seed corpus built from captures/ and the public corpus. Needs nightly
# and cargo-fuzz (`cargo install cargo-fuzz`). Crashes land in
# fuzz/artifacts/TARGET/; turn each into a regression test.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
mkdir -p corpus/{capture,pipeline,tls,certs,packet,tcp,keylog}
for f in ../captures/*.pcap ../../shared/corpus/*/*.pcap; do
    [ -f "$f" ] || continue
    cp -n "$f" corpus/capture/ 2>/dev/null || true
    cp -n "$f" corpus/pipeline/ 2>/dev/null || true
done
for f in ../captures/pki/*.crt; do
    openssl x509 -in "$f" -outform DER -out "corpus/certs/$(basename "$f" .crt).der" 2>/dev/null || true
done
run() { cargo +nightly fuzz run "$1" "corpus/$1" -- -max_total_time="$secs" -rss_limit_mb=2048 2>&1 | tail -n 3 | sed "s/^/[$1] /"; }
for group in "capture packet" "tcp tls" "certs pipeline" "keylog"; do
    for t in $group; do run "$t" & done
    wait
done
