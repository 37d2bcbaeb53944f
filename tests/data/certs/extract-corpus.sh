#!/bin/sh
# Extracts every certificate tshark finds in the shared test corpus into
# corpus-certs.txt, one "<capture file name> <DER as hex>" line per distinct
# certificate, so tests/certs.rs can run the summariser over real-world
# certificates (malformed ones included) without reading captures.
# Usage: tests/data/certs/extract-corpus.sh <corpus dir>
set -eu
corpus=${1:?usage: $0 <corpus dir>}
out="$(cd "$(dirname "$0")" && pwd)/corpus-certs.txt"
for f in "$corpus"/*/*.pcap "$corpus"/*/*.pcapng; do
    [ -e "$f" ] || continue
    tshark -r "$f" -T fields -e tls.handshake.certificate 2>/dev/null \
        | tr ',' '\n' | grep . | sed "s|^|$(basename "$f") |" || true
done | sort -u -k2,2 | sort > "$out"
wc -l "$out"
