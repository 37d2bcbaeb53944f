#!/bin/sh
# Regenerates tests/data/corpus-frames.tsv from the public corpus with tshark.
# Run from the repository root:  sh tests/data/tshark-frames.sh > tests/data/corpus-frames.tsv
# Columns: file (relative to the corpus root), frames, TCP segments, link type,
# and 1 if tshark reported the file damaged (tlsdiag must then warn), else 0.
# A "TCP segment" is a frame whose own packet (not an ICMP quote) carries TCP;
# tshark decodes tunnels and reassembles IPv4 fragments as tlsdiag does.
set -eu
corpus="${CORPUS:-../shared/corpus}"
# LINKTYPE from the legacy pcap header (bytes 20..23, in the file's byte order).
linktype() {
    magic=$(od -An -tx1 -N4 "$1" | tr -d ' ')
    b=$(od -An -tu1 -j20 -N4 "$1")
    set -- $b
    case "$magic" in
        d4c3b2a1|4d3cb2a1) echo $(( $1 + 256 * $2 )) ;;
        a1b2c3d4|a1b23c4d) echo $(( $4 + 256 * $3 )) ;;
        *) echo '?' ;;
    esac
}
printf 'file\tframes\ttcp_segments\tlinktype\tdamaged\n'
(cd "$corpus" && find . -name '*.pcap' | sed 's|^\./||' | LC_ALL=C sort) | while read -r f; do
    path="$corpus/$f"
    frames=$(tshark -n -r "$path" -T fields -e frame.number 2>/dev/null | wc -l)
    tcp=$(tshark -n -r "$path" -Y 'tcp and not icmp and not icmpv6' -T fields -e frame.number 2>/dev/null | wc -l)
    if tshark -n -r "$path" >/dev/null 2>&1; then damaged=0; else damaged=1; fi
    printf '%s\t%s\t%s\t%s\t%s\n' "$f" "$frames" "$tcp" "$(linktype "$path")" "$damaged"
done
