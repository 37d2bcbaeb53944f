#!/usr/bin/env bash
# Regenerates the small real loopback captures tlsdiag is tested against.
# One scenario = one tcpdump on one port around openssl s_server/s_client (or a
# tiny python3 listener for the transport failures). See README.md.
#
# Usage: bash captures/make.sh [SCENARIO...]   (no argument: all scenarios)
# Needs: openssl 3.x, tcpdump, python3, ss (iproute2), timeout (coreutils). Root
# (or CAP_NET_RAW) for tcpdump on lo.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PKI=$HERE/pki
OUT=$HERE
WORK=$(mktemp -d)
HOST=127.0.0.1
SNI=server.tlsdiag.test
BGPIDS=()

cleanup() {
    local p
    for p in "${BGPIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

# shellcheck source=captures/pki.sh
source "$HERE/pki.sh"
if [ ! -f "$PKI/.complete" ]; then
    make_pki "$PKI"
fi

# wait_listen PORT: until something listens on 127.0.0.1:PORT (max 5 s).
wait_listen() {
    local i
    for i in $(seq 50); do
        if [ -n "$(ss -Hltn "sport = :$1")" ]; then return 0; fi
        sleep 0.1
    done
    echo "nothing listens on port $1" >&2
    return 1
}

# bg CMD...: run in the background, remember the pid for stop_bg.
bg() {
    "$@" &
    BGPIDS+=($!)
}

# stop_bg: end every background process this scenario started (by pid).
stop_bg() {
    local p
    for p in "${BGPIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${BGPIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    BGPIDS=()
}

# server PORT ARGS...: openssl s_server on PORT, wait until it listens.
# stdin is a long sleep so the echo mode never sees end of input.
server() {
    local port=$1
    shift
    bg openssl s_server -accept "$HOST:$port" "$@" \
        >>"$WORK/server.$port.log" 2>&1 < <(sleep 30)
    wait_listen "$port"
}

# server_restart PORT ARGS...: stop the servers and start a new one on PORT.
server_restart() {
    stop_bg
    server "$@"
}

# client PORT ARGS...: one openssl s_client connection sending a GET.
client() {
    local port=$1
    shift
    { printf 'GET / HTTP/1.0\r\n\r\n'; sleep 1; } |
        timeout 5 openssl s_client -connect "$HOST:$port" -ign_eof "$@" \
            >>"$WORK/client.$port.log" 2>&1 || true
}

# pyhelper PORT MODE: one of the python3 listeners in helpers.py.
pyhelper() {
    bg python3 "$HERE/helpers.py" "$2" "$HOST" "$1" "$PKI"
    [ "$2" = backlog-full ] || wait_listen "$1"
}

# capture NAME PORT FUNC: tcpdump on PORT around FUNC PORT -> NAME.pcap.
capture() {
    local name=$1 port=$2 fn=$3 tdpid i
    rm -f "$OUT/$name.pcap" "$OUT/$name.keys"
    KEYS=$OUT/$name.keys
    : >"$WORK/tcpdump.$port.log"
    tcpdump -i lo -s 0 -U -n -Z root -w "$OUT/$name.pcap" "tcp port $port" \
        2>"$WORK/tcpdump.$port.log" &
    tdpid=$!
    for i in $(seq 50); do
        grep -q 'listening on' "$WORK/tcpdump.$port.log" && break
        sleep 0.1
    done
    "$fn" "$port"
    sleep 0.5
    kill -INT "$tdpid"
    wait "$tdpid" || true
    stop_bg
    printf '%-36s %s\n' "$name" "$(tail -n 1 "$WORK/tcpdump.$port.log")"
}

# Options shared by most scenarios.
SRV=(-cert "$PKI/server.crt" -key "$PKI/server.key" -cert_chain "$PKI/chain-inter.pem" -www)
CLI=(-servername "$SNI" -CAfile "$PKI/root.crt" -verify_return_error)
MTLS=(-CAfile "$PKI/clientca.crt")
keylog() { echo -keylogfile "$KEYS"; }

# ---- Scenarios: sc_NAME PORT -------------------------------------------
sc_tls12_ok() { server "$1" "${SRV[@]}"; client "$1" "${CLI[@]}" -tls1_2; }
sc_tls13_ok() { server "$1" "${SRV[@]}"; client "$1" "${CLI[@]}" -tls1_3 $(keylog); }
sc_mtls12_ok() {
    server "$1" "${SRV[@]}" -Verify 5 "${MTLS[@]}"
    client "$1" "${CLI[@]}" -tls1_2 -cert "$PKI/client-jane.crt" -key "$PKI/client-jane.key"
}
sc_mtls13_ok() {
    server "$1" "${SRV[@]}" -Verify 5 "${MTLS[@]}"
    client "$1" "${CLI[@]}" -tls1_3 $(keylog) -cert "$PKI/client-jane.crt" -key "$PKI/client-jane.key"
}
sc_mtls12_client_cert_missing() {
    server "$1" "${SRV[@]}" -Verify 5 "${MTLS[@]}"
    client "$1" "${CLI[@]}" -tls1_2
}
sc_mtls13_client_cert_missing() {
    server "$1" "${SRV[@]}" -Verify 5 "${MTLS[@]}"
    client "$1" "${CLI[@]}" -tls1_3 $(keylog)
}
sc_tcp_refused() { client "$1" "${CLI[@]}"; }

# name:port table; port = 24400 + index keeps every scenario apart.
SCENARIOS=(
    tls12-ok tls13-ok mtls12-ok mtls13-ok
    mtls12-client-cert-missing mtls13-client-cert-missing
    tcp-refused
)

main() {
    local want=("$@") i name port
    for i in "${!SCENARIOS[@]}"; do
        name=${SCENARIOS[$i]}
        port=$((24400 + i))
        if [ ${#want[@]} -gt 0 ] && [[ " ${want[*]} " != *" $name "* ]]; then continue; fi
        capture "$name" "$port" "sc_${name//-/_}"
    done
}
main "$@"
