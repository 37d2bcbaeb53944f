#!/usr/bin/env bash
# Regenerates the small real loopback captures tlsdiag is tested against.
# One scenario = one tcpdump on one port around openssl s_server/s_client (or a
# tiny python3 listener for the transport failures). See README.md.
#
# Usage: bash captures/make.sh [SCENARIO...]   (no argument: all scenarios)
# Needs: openssl 3.x, tcpdump, python3, ss (iproute2), timeout (coreutils). Root
# (or CAP_NET_RAW) for tcpdump on lo. The tls13-dsb scenario also needs editcap
# (Debian package wireshark-common, >= 3.0 for --inject-secrets) to embed its
# key log in the pcapng as a Decryption Secrets Block.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PKI=$HERE/pki
OUT=$HERE
WORK=$(mktemp -d)
HOST=127.0.0.1
SNI=server.tlsdiag.test
BGPIDS=()

TDPID=
cleanup() {
    local p
    [ -z "$TDPID" ] || kill -INT "$TDPID" 2>/dev/null || true
    for p in "${BGPIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    if [ -n "${KEEP_WORK:-}" ]; then echo "logs kept in $WORK" >&2; else rm -rf "$WORK"; fi
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
# Scenarios use -www or -rev, which never read stdin (it is /dev/null).
server() {
    local port=$1
    shift
    bg openssl s_server -accept "$HOST:$port" "$@" >>"$WORK/server.$port.log" 2>&1
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
    printf 'GET / HTTP/1.0\r\n\r\n' |
        timeout 5 openssl s_client -connect "$HOST:$port" -ign_eof "$@" \
            >>"$WORK/client.$port.log" 2>&1 || true
}

# pyhelper PORT MODE: one of the python3 listeners in helpers.py.
pyhelper() {
    bg python3 "$HERE/helpers.py" "$2" "$HOST" "$1" "$PKI"
    [ "$2" = backlog-full ] || wait_listen "$1"
}

# Per-scenario capture settings (default: whole packets, both directions).
declare -A SNAPLEN=([capture-truncated-packets]=96)
declare -A FILTER=([capture-one-sided]="tcp dst port %s")

# capture NAME PORT FUNC: tcpdump on PORT around FUNC PORT -> NAME.pcap.
# Optional hooks: pre_X runs before tcpdump starts (state the capture must
# not contain), post_X NAME after it stopped.
capture() {
    local name=$1 port=$2 fn=$3 tdpid i
    PORT=$port
    rm -f "$OUT/$name.pcap" "$OUT/$name.keys"
    KEYS=$OUT/$name.keys
    # A pre_ function prepares state the capture must not contain.
    if declare -F "pre_${fn#sc_}" >/dev/null; then "pre_${fn#sc_}" "$port"; fi
    : >"$WORK/tcpdump.$port.log"
    local filter
    # shellcheck disable=SC2059 # the FILTER entries are printf formats
    filter=$(printf "${FILTER[$name]:-tcp port %s}" "$port")
    tcpdump -i lo -s "${SNAPLEN[$name]:-0}" -U --immediate-mode -n -Z root \
        -w "$OUT/$name.pcap" "$filter" \
        2>"$WORK/tcpdump.$port.log" &
    tdpid=$!
    TDPID=$tdpid
    for i in $(seq 50); do
        grep -q 'listening on' "$WORK/tcpdump.$port.log" && break
        sleep 0.1
    done
    "$fn" "$port"
    sleep 0.5
    kill -INT "$tdpid"
    wait "$tdpid" || true
    TDPID=
    stop_bg
    if declare -F "post_${fn#sc_}" >/dev/null; then "post_${fn#sc_}" "$name"; fi
    printf '%-36s %s\n' "$name" "$(tail -n 1 "$WORK/tcpdump.$port.log")"
}

# Options shared by most scenarios.
SRV=(-cert "$PKI/server.crt" -key "$PKI/server.key" -cert_chain "$PKI/chain-inter.pem" -www)
CLI=(-servername "$SNI" -CAfile "$PKI/root.crt" -verify_return_error)
MTLS=(-CAfile "$PKI/clientca.crt")
keylog() { echo -keylogfile "$KEYS"; }

# ---- Scenarios: sc_NAME PORT -------------------------------------------
JANE=(-cert "$PKI/client-jane.crt" -key "$PKI/client-jane.key")
OTHER=(-cert "$PKI/client-other.crt" -key "$PKI/client-other.key")
as_client() { echo -cert "$PKI/$1.crt" -key "$PKI/$1.key"; }
mtls_server() { server "$1" "${SRV[@]}" -Verify 5 -verify_return_error "${MTLS[@]}" "${@:2}"; }
leaf_server() { server "$1" -cert "$PKI/$2.crt" -key "$PKI/$2.key" -www "${@:3}"; }

# Success baselines.
sc_tls12_ok() { server "$1" "${SRV[@]}"; client "$1" "${CLI[@]}" -tls1_2; }
sc_tls13_ok() { server "$1" "${SRV[@]}"; client "$1" "${CLI[@]}" -tls1_3 $(keylog); }
sc_mtls12_ok() { mtls_server "$1"; client "$1" "${CLI[@]}" -tls1_2 "${JANE[@]}"; }
sc_mtls13_ok() { mtls_server "$1"; client "$1" "${CLI[@]}" -tls1_3 $(keylog) "${JANE[@]}"; }

# Mutual TLS: the client side of the story.
sc_mtls12_client_cert_missing() { mtls_server "$1"; client "$1" "${CLI[@]}" -tls1_2; }
sc_mtls13_client_cert_missing() { mtls_server "$1"; client "$1" "${CLI[@]}" -tls1_3 $(keylog); }
sc_mtls12_issuer_not_accepted() { mtls_server "$1"; client "$1" "${CLI[@]}" -tls1_2 "${OTHER[@]}"; }
sc_mtls12_optional_not_sent() {
    pyhelper "$1" https403
    client "$1" "${CLI[@]}" -tls1_2 $(keylog)
}
sc_mtls12_client_not_yet_valid() {
    mtls_server "$1"
    client "$1" "${CLI[@]}" -tls1_2 $(as_client client-notyet)
}
sc_mtls12_client_cert_expired() {
    mtls_server "$1"
    client "$1" "${CLI[@]}" -tls1_2 $(as_client client-expired)
}
sc_mtls12_client_cert_revoked() {
    mtls_server "$1" -CRL "$PKI/clientca.crl.pem" -crl_check
    client "$1" "${CLI[@]}" -tls1_2 $(as_client client-revoked)
}
sc_mtls12_client_self_signed() {
    mtls_server "$1"
    client "$1" "${CLI[@]}" -tls1_2 $(as_client client-selfsigned)
}
sc_mtls12_client_weak_sha1() {
    mtls_server "$1"
    client "$1" "${CLI[@]}" -tls1_2 -cipher 'DEFAULT@SECLEVEL=0' $(as_client client-sha1)
}
sc_mtls12_client_weak_rsa1024() {
    mtls_server "$1" -cipher 'DEFAULT@SECLEVEL=2'
    client "$1" "${CLI[@]}" -tls1_2 -cipher 'DEFAULT@SECLEVEL=0' $(as_client client-rsa1024)
}
sc_mtls12_client_not_v3() { mtls_server "$1"; client "$1" "${CLI[@]}" -tls1_2 $(as_client client-v1); }
sc_mtls12_client_wrong_usage() {
    mtls_server "$1"
    client "$1" "${CLI[@]}" -tls1_2 $(as_client client-serverauth)
}
sc_mtls12_chain_too_deep() {
    server "$1" "${SRV[@]}" -Verify 5 -verify_depth 3 -verify_return_error "${MTLS[@]}"
    client "$1" "${CLI[@]}" -tls1_2 $(as_client client-deep) -cert_chain "$PKI/chain-deep.pem"
}

# Server certificate problems, seen (and refused) by the client.
sc_server_cert_expired() {
    leaf_server "$1" server-expired -cert_chain "$PKI/chain-inter.pem"
    client "$1" "${CLI[@]}" -tls1_2
}
sc_server_cert_not_yet_valid() {
    leaf_server "$1" server-notyet -cert_chain "$PKI/chain-inter.pem"
    client "$1" "${CLI[@]}" -tls1_2
}
sc_server_self_signed() { leaf_server "$1" server-selfsigned; client "$1" "${CLI[@]}" -tls1_2; }
sc_server_name_mismatch_abort() {
    leaf_server "$1" server-wrongname -cert_chain "$PKI/chain-inter.pem"
    client "$1" "${CLI[@]}" -tls1_2 -verify_hostname "$SNI"
}
sc_server_name_mismatch_continue() {
    leaf_server "$1" server-wrongname -cert_chain "$PKI/chain-inter.pem"
    client "$1" -servername "$SNI" -CAfile "$PKI/root.crt" -tls1_2 -verify_hostname "$SNI"
}
sc_server_chain_incomplete() { leaf_server "$1" server; client "$1" "${CLI[@]}" -tls1_2; }
sc_server_chain_misordered() {
    leaf_server "$1" server -cert_chain "$PKI/chain-misordered.pem"
    client "$1" "${CLI[@]}" -tls1_2
}
sc_server_untrusted() {
    server "$1" "${SRV[@]}"
    client "$1" -servername "$SNI" -CAfile "$PKI/otherca.crt" -verify_return_error -tls1_2
}
sc_hostile_names() {
    leaf_server "$1" server-hostile -cert_chain "$PKI/chain-inter.pem"
    client "$1" -servername 'x<script>`id`|"a".tlsdiag.test' -CAfile "$PKI/root.crt" -tls1_2
}

# Versions and parameters.
sc_version_mismatch() { server "$1" "${SRV[@]}" -tls1_2; client "$1" "${CLI[@]}" -tls1_3; }
sc_server_min_version_raised() { server "$1" "${SRV[@]}" -tls1_3; client "$1" "${CLI[@]}" -tls1_2; }
sc_deprecated_tls10() {
    server "$1" "${SRV[@]}" -cipher 'DEFAULT@SECLEVEL=0'
    client "$1" "${CLI[@]}" -tls1 -cipher 'DEFAULT@SECLEVEL=0'
}
sc_deprecated_tls11() {
    server "$1" "${SRV[@]}" -cipher 'DEFAULT@SECLEVEL=0'
    client "$1" "${CLI[@]}" -tls1_1 -cipher 'DEFAULT@SECLEVEL=0'
}
sc_weak_cipher_null() {
    server "$1" "${SRV[@]}" -cipher 'ECDHE-ECDSA-NULL-SHA:@SECLEVEL=0'
    client "$1" "${CLI[@]}" -tls1_2 -cipher 'ECDHE-ECDSA-NULL-SHA:@SECLEVEL=0'
}
sc_cipher_mismatch() {
    server "$1" "${SRV[@]}" -cipher ECDHE-ECDSA-AES256-GCM-SHA384
    client "$1" "${CLI[@]}" -tls1_2 -cipher 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305'
}
sc_signature_algorithm_mismatch() {
    server "$1" "${SRV[@]}"
    client "$1" "${CLI[@]}" -tls1_2 -sigalgs 'RSA+SHA256:rsa_pss_rsae_sha256'
}
sc_no_common_group() {
    server "$1" "${SRV[@]}" -groups P-384
    client "$1" "${CLI[@]}" -tls1_3 -groups X25519 $(keylog)
}
sc_hello_retry_request() {
    server "$1" "${SRV[@]}" -groups P-256
    client "$1" "${CLI[@]}" -tls1_3 -groups X25519:P-256 $(keylog)
}
sc_alpn_mismatch() { server "$1" "${SRV[@]}" -alpn h2; client "$1" "${CLI[@]}" -tls1_2 -alpn http/1.1; }

# Server name indication.
SNI_SRV=(-cert "$PKI/server-wrongname.crt" -key "$PKI/server-wrongname.key"
    -cert_chain "$PKI/chain-inter.pem" -servername "$SNI"
    -cert2 "$PKI/server.crt" -key2 "$PKI/server.key" -www)
# s_server cannot send a chain with -cert2, so these clients also trust the
# intermediate: the SNI certificate arrives alone.
SNI_CLI=(-CAfile "$PKI/chain-inter-root.pem" -verify_return_error -verify_hostname "$SNI" -tls1_2)
sc_sni_missing() {
    server "$1" "${SNI_SRV[@]}"
    client "$1" -noservername "${SNI_CLI[@]}"
}
sc_sni_unrecognized() {
    server "$1" "${SNI_SRV[@]}" -servername_fatal
    client "$1" -servername unknown.tlsdiag.test -CAfile "$PKI/root.crt" -tls1_2
}

# Session features.
sc_session_resumed() {
    server "$1" "${SRV[@]}"
    client "$1" "${CLI[@]}" -tls1_2 -sess_out "$WORK/sess.pem"
    client "$1" "${CLI[@]}" -tls1_2 -sess_in "$WORK/sess.pem"
}
# renegotiate PORT SERVER_OPTS...: the client asks for a renegotiation ("R").
renegotiate() {
    server "$1" -cert "$PKI/server.crt" -key "$PKI/server.key" -cert_chain "$PKI/chain-inter.pem" -rev "${@:2}"
    { sleep 0.5; printf 'R\n'; sleep 1; printf 'after renegotiation\n'; sleep 0.5; } |
        timeout 5 openssl s_client -connect "$HOST:$1" "${CLI[@]}" -tls1_2 $(keylog) \
            >>"$WORK/client.$1.log" 2>&1 || true
}
sc_renegotiation() { renegotiate "$1" -client_renegotiation; }
sc_renegotiation_refused() { renegotiate "$1"; }
sc_fallback_scsv() { server "$1" "${SRV[@]}"; client "$1" "${CLI[@]}" -tls1_2 -fallback_scsv; }

# Transport failures.
sc_tcp_refused() { client "$1" "${CLI[@]}"; }
pre_tcp_no_response() {
    bg python3 "$HERE/helpers.py" backlog-full "$HOST" "$1" "$PKI" >"$WORK/backlog.$1" 2>&1
    local i
    for i in $(seq 50); do grep -q ready "$WORK/backlog.$1" && return 0; sleep 0.1; done
}
sc_tcp_no_response() {
    timeout 4 openssl s_client -connect "$HOST:$1" "${CLI[@]}" </dev/null \
        >>"$WORK/client.$1.log" 2>&1 || true
}
sc_no_server_response() {
    pyhelper "$1" silent
    timeout 3 openssl s_client -connect "$HOST:$1" "${CLI[@]}" </dev/null \
        >>"$WORK/client.$1.log" 2>&1 || true
}
sc_not_tls_http_to_tls() { server "$1" "${SRV[@]}"; python3 "$HERE/helpers.py" plain-get "$HOST" "$1" "$PKI"; }
sc_not_tls_tls_to_http() { pyhelper "$1" http400; client "$1" "${CLI[@]}"; }
sc_closed_without_alert() { pyhelper "$1" fin; client "$1" "${CLI[@]}"; }
sc_reset_during_handshake() { pyhelper "$1" rst; client "$1" "${CLI[@]}"; }

# Several connections in one capture.
sc_intermittent_server_cert() {
    server "$1" "${SRV[@]}"
    client "$1" "${CLI[@]}" -tls1_2
    server_restart "$1" -cert "$PKI/server-expired.crt" -key "$PKI/server-expired.key" \
        -cert_chain "$PKI/chain-inter.pem" -www
    client "$1" "${CLI[@]}" -tls1_2
    server_restart "$1" "${SRV[@]}"
    client "$1" "${CLI[@]}" -tls1_2
}
sc_fallback_retry() {
    server "$1" "${SRV[@]}" -tls1_2
    client "$1" "${CLI[@]}" -tls1_3
    client "$1" "${CLI[@]}" -tls1_2
}

# Before/after pairs for `tlsdiag diff`.
sc_diff_intermediate_before() { server "$1" "${SRV[@]}"; client "$1" "${CLI[@]}" -tls1_2; }
sc_diff_intermediate_after() { leaf_server "$1" server-renewed; client "$1" "${CLI[@]}" -tls1_2; }
sc_diff_client_cert_before() { sc_mtls12_ok "$1"; }
sc_diff_client_cert_after() { sc_mtls12_issuer_not_accepted "$1"; }
sc_diff_min_version_before() { server "$1" "${SRV[@]}"; client "$1" "${CLI[@]}" -tls1_2; }
sc_diff_min_version_after() { sc_server_min_version_raised "$1"; }
DIFF_CIPHERS='ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA'
sc_diff_ciphers_before() {
    server "$1" "${SRV[@]}" -cipher 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-SHA'
    client "$1" "${CLI[@]}" -tls1_2 -cipher "$DIFF_CIPHERS"
}
sc_diff_ciphers_after() {
    server "$1" "${SRV[@]}" -cipher ECDHE-ECDSA-AES256-GCM-SHA384
    client "$1" "${CLI[@]}" -tls1_2 -cipher "$DIFF_CIPHERS"
}
sc_diff_sni_before() {
    server "$1" "${SNI_SRV[@]}"
    client "$1" -servername "$SNI" "${SNI_CLI[@]}"
}
sc_diff_sni_after() { sc_sni_missing "$1"; }

# Capture-level defects (see the SNAPLEN and FILTER tables above).
sc_capture_truncated_packets() { sc_tls12_ok "$1"; }
sc_capture_one_sided() { sc_tls12_ok "$1"; }
sc_capture_file_truncated() { sc_tls12_ok "$1"; }
# Cut the file inside the last record, as a killed tcpdump leaves it.
post_capture_file_truncated() {
    local f=$OUT/$1.pcap size
    size=$(wc -c <"$f")
    head -c $((size - 20)) "$f" >"$WORK/cut.pcap"
    mv "$WORK/cut.pcap" "$f"
}
# The connection and its handshake happen before tcpdump starts; the
# capture holds only application data and the close.
pre_capture_started_mid_connection() {
    server "$1" -cert "$PKI/server.crt" -key "$PKI/server.key" -cert_chain "$PKI/chain-inter.pem" -rev
    bg bash -c '{ sleep 1.5; printf "hello from the middle\n"; sleep 0.5; } |
        timeout 5 openssl s_client -connect "$0" -servername "$1" -CAfile "$2" -tls1_2 -quiet \
        >/dev/null 2>&1' "$HOST:$1" "$SNI" "$PKI/root.crt"
    sleep 0.7
}
sc_capture_started_mid_connection() {
    local last=$((${#BGPIDS[@]} - 1))
    wait "${BGPIDS[$last]}" || true
}

# A server that answers the ClientHello with a plaintext close_notify.
sc_close_notify_during_handshake() { pyhelper "$1" close-notify; client "$1" "${CLI[@]}"; }
# Client chains: the leaf without its intermediates, and a chain carrying an
# unrelated CA certificate.
sc_mtls12_client_chain_incomplete() { mtls_server "$1"; client "$1" "${CLI[@]}" -tls1_2 $(as_client client-deep); }
sc_mtls12_client_chain_misordered() {
    mtls_server "$1"
    client "$1" "${CLI[@]}" -tls1_2 "${JANE[@]}" -cert_chain "$PKI/otherca.crt"
}
# Servers presenting a v1 certificate and a SHA-1 signed, client-only one.
sc_server_cert_not_v3() { leaf_server "$1" client-v1; client "$1" "${CLI[@]}" -tls1_2; }
sc_server_cert_weak_sha1() { leaf_server "$1" client-sha1 -cipher 'DEFAULT@SECLEVEL=0'; client "$1" -servername "$SNI" -tls1_2 -cipher 'DEFAULT@SECLEVEL=0'; }
# A client certificate damaged in transit/at rest (edited after capture).
sc_client_cert_corrupt() { sc_mtls12_ok "$1"; }
post_client_cert_corrupt() { python3 "$HERE/helpers.py" corrupt-client-cert "$OUT/$1.pcap" "$PORT"; }
# A peer that rejects the ClientHello with an alert no specific rule owns.
sc_fatal_alert_illegal_parameter() { pyhelper "$1" illegal-parameter; client "$1" "${CLI[@]}"; }
# Damaged copies of a good handshake (edited after capture: loopback never
# loses or rewrites segments).
sc_capture_missing_segments() { sc_tls12_ok "$1"; }
post_capture_missing_segments() { python3 "$HERE/helpers.py" drop-server-flight "$OUT/$1.pcap" "$PORT"; }
sc_tcp_segment_conflict() { sc_tls12_ok "$1"; }
post_tcp_segment_conflict() { python3 "$HERE/helpers.py" conflict "$OUT/$1.pcap" "$PORT"; }

# Decryption with a key log (`--keylog`): one successful GET per cipher suite,
# then two TLS 1.3 mTLS failures whose alert is only readable with the keys.
# The server certificate is ECDSA (P-256), so the TLS 1.2 suites are the
# ECDHE-ECDSA ones; the record protection is what these captures are for.
sc_tls13_aes256_keylog() {
    server "$1" "${SRV[@]}" -ciphersuites TLS_AES_256_GCM_SHA384
    client "$1" "${CLI[@]}" -tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384 $(keylog)
}
sc_tls13_chacha20_keylog() {
    server "$1" "${SRV[@]}" -ciphersuites TLS_CHACHA20_POLY1305_SHA256
    client "$1" "${CLI[@]}" -tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256 $(keylog)
}
sc_tls13_aes128_keylog() {
    server "$1" "${SRV[@]}" -ciphersuites TLS_AES_128_GCM_SHA256
    client "$1" "${CLI[@]}" -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256 $(keylog)
}
# Two connections: AES-128-GCM (SHA-256 PRF), then AES-256-GCM (SHA-384 PRF).
sc_tls12_gcm_keylog() {
    server "$1" "${SRV[@]}"
    client "$1" "${CLI[@]}" -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256 $(keylog)
    client "$1" "${CLI[@]}" -tls1_2 -cipher ECDHE-ECDSA-AES256-GCM-SHA384 $(keylog)
}
sc_tls12_chacha20_keylog() {
    server "$1" "${SRV[@]}"
    client "$1" "${CLI[@]}" -tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305 $(keylog)
}
# CBC + HMAC-SHA256: OpenSSL negotiates encrypt_then_mac (RFC 7366) by default.
sc_tls12_cbc_etm_keylog() {
    server "$1" "${SRV[@]}"
    client "$1" "${CLI[@]}" -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA256 $(keylog)
}
# Same, but the server refuses encrypt_then_mac: the client still offers it
# in its ClientHello, the ServerHello leaves it out, so MAC-then-encrypt.
sc_tls12_cbc_noetm_keylog() {
    server "$1" "${SRV[@]}" -no_etm
    client "$1" "${CLI[@]}" -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA256 $(keylog)
}
# TLS 1.3 mTLS, client certificate from the Other Client CA: the server's
# unknown_ca alert is encrypted, readable only with the keys.
sc_mtls13_wrong_ca_keylog() { mtls_server "$1"; client "$1" "${CLI[@]}" -tls1_3 $(keylog) "${OTHER[@]}"; }
# mtls13-client-cert-missing with its key log embedded in a pcapng Decryption
# Secrets Block: only tls13-dsb.pcapng is kept, no .pcap, no .keys.
sc_tls13_dsb() { sc_mtls13_client_cert_missing "$1"; }
post_tls13_dsb() {
    editcap --inject-secrets "tls,$OUT/$1.keys" -F pcapng "$OUT/$1.pcap" "$OUT/$1.pcapng"
    rm -f "$OUT/$1.pcap" "$OUT/$1.keys"
}

# Order matters only for the ports: port = 24400 + index. Append new ones.
SCENARIOS=(
    tls12-ok tls13-ok mtls12-ok mtls13-ok
    mtls12-client-cert-missing mtls13-client-cert-missing
    tcp-refused
    mtls12-issuer-not-accepted mtls12-optional-not-sent mtls12-client-cert-expired
    mtls12-client-cert-revoked mtls12-client-self-signed mtls12-client-weak-sha1
    mtls12-client-weak-rsa1024 mtls12-client-not-v3 mtls12-client-wrong-usage
    mtls12-chain-too-deep
    server-cert-expired server-cert-not-yet-valid server-self-signed
    server-name-mismatch-abort server-name-mismatch-continue server-chain-incomplete
    server-chain-misordered server-untrusted hostile-names
    version-mismatch server-min-version-raised deprecated-tls10 deprecated-tls11
    weak-cipher-null cipher-mismatch signature-algorithm-mismatch no-common-group
    hello-retry-request alpn-mismatch sni-missing sni-unrecognized
    session-resumed renegotiation fallback-scsv
    tcp-no-response no-server-response not-tls-http-to-tls not-tls-tls-to-http
    closed-without-alert reset-during-handshake
    intermittent-server-cert fallback-retry
    diff-intermediate-before diff-intermediate-after diff-client-cert-before
    diff-client-cert-after diff-min-version-before diff-min-version-after
    diff-ciphers-before diff-ciphers-after diff-sni-before diff-sni-after
    renegotiation-refused
    capture-truncated-packets capture-one-sided capture-file-truncated
    capture-started-mid-connection
    close-notify-during-handshake capture-missing-segments tcp-segment-conflict
    fatal-alert-illegal-parameter mtls12-client-not-yet-valid
    mtls12-client-chain-incomplete mtls12-client-chain-misordered
    server-cert-not-v3 server-cert-weak-sha1 client-cert-corrupt
    tls13-aes256-keylog tls13-chacha20-keylog tls13-aes128-keylog
    tls12-gcm-keylog tls12-chacha20-keylog tls12-cbc-etm-keylog tls12-cbc-noetm-keylog
    mtls13-wrong-ca-keylog tls13-dsb
)

main() {
    local want=("$@") i name port
    for i in "${!SCENARIOS[@]}"; do
        name=${SCENARIOS[$i]}
        port=$((24400 + i))
        # The two sides of a diff pair are the same service: same port.
        if [[ $name == diff-*-after ]]; then
            local j
            for j in "${!SCENARIOS[@]}"; do
                [ "${SCENARIOS[$j]}" = "${name%-after}-before" ] && port=$((24400 + j))
            done
        fi
        if [ ${#want[@]} -gt 0 ] && [[ " ${want[*]} " != *" $name "* ]]; then continue; fi
        capture "$name" "$port" "sc_${name//-/_}"
    done
    bad_keylogs
}

# Key logs that must not decrypt (keys-wrong, and the key-log parser's notes),
# derived from committed key logs, so they stay in step with the captures:
#   keylog-wrong.keys  tls13-ok's lines with every secret reversed (same client random)
#   keylog-mixed.keys  garbage lines, those wrong lines, and the secrets of
#                      other connections (tls12-gcm-keylog, tls13-aes128-keylog)
bad_keylogs() {
    local reverse='/^#/ { print; next } { s = ""; for (i = length($3); i > 0; i--) s = s substr($3, i, 1); print $1, $2, s }'
    [ -f "$OUT/tls13-ok.keys" ] || return 0
    awk "$reverse" "$OUT/tls13-ok.keys" >"$OUT/keylog-wrong.keys"
    {
        echo '# a key log as found in the wild: comments, junk and foreign sessions'
        echo 'this line is not a key log line'
        echo 'CLIENT_RANDOM not-hex 00'
        echo 'CLIENT_RANDOM 0000 0000 trailing-field'
        echo "RSA $(printf '%016d' 0) $(printf '%096d' 0)"
        cat "$OUT/keylog-wrong.keys"
        cat "$OUT/tls12-gcm-keylog.keys" "$OUT/tls13-aes128-keylog.keys" 2>/dev/null || true
        printf 'SERVER_TRAFFIC_SECRET_0 %064d %s\n' 0 "$(head -c 300 /dev/zero | tr '\0' 'a')"
    } >"$OUT/keylog-mixed.keys"
}
main "$@"
