#!/usr/bin/env bash
# Prints what tshark sees in each capture: the TCP connection count, then per
# frame its direction (C> client to server, S> server to client), TLS
# handshake messages, alerts (fatal/warning + description), the certificates
# length of Certificate messages, and RSTs. Used to check make.sh and to fill
# README.md. Servers in make.sh listen below port 30000, clients above.
# Usage: bash captures/verify.sh [FILE.pcap...]
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -gt 0 ] || set -- "$HERE"/*.pcap
for f in "$@"; do
    keys=${f%.pcap}.keys
    opts=()
    [ -f "$keys" ] && opts=(-o "tls.keylog_file:$keys")
    # Decode the server port as TLS: the heuristics miss some connections.
    # Servers listen below port 30000, so the smaller port of frame 1 is theirs.
    port=$(tshark -r "$f" -c 1 -T fields -e tcp.srcport -e tcp.dstport 2>/dev/null |
        awk '{print ($1 < $2) ? $1 : $2}' || true)
    [ -n "$port" ] && opts+=(-d "tcp.port==$port,tls")
    conns=$(tshark -r "$f" -q -z conv,tcp 2>/dev/null | grep -c '<->' || true)
    flow=$(tshark -r "$f" "${opts[@]}" \
        -Y 'tcp.flags.syn==1 or tls.handshake or tls.alert_message or tcp.flags.reset==1 or tcp.flags.fin==1 or (tcp.len>0 and not tls)' \
        -T fields -E 'separator=|' -e frame.number -e tcp.srcport -e tls.handshake.type \
        -e tls.alert_message.level -e tls.alert_message.desc -e tls.handshake.certificates_length \
        -e tcp.flags.reset -e tcp.flags.fin -e tls.record.content_type -e tcp.len \
        -e tcp.flags.syn -e tcp.flags.ack 2>/dev/null |
        awk -F'|' '
        BEGIN {
            split("1=CH 2=SH 4=NST 8=EE 11=Cert 12=SKE 13=CR 14=SHD 15=CV 16=CKE 20=Fin 0=HelloReq", a, " ")
            for (i in a) { split(a[i], kv, "="); hs[kv[1]] = kv[2] }
            split("0=close_notify 10=unexpected_message 20=bad_record_mac 40=handshake_failure 42=bad_certificate 43=unsupported_certificate 44=certificate_revoked 45=certificate_expired 46=certificate_unknown 47=illegal_parameter 48=unknown_ca 49=access_denied 50=decode_error 51=decrypt_error 70=protocol_version 71=insufficient_security 80=internal_error 86=inappropriate_fallback 90=user_canceled 100=no_renegotiation 109=missing_extension 110=unsupported_extension 112=unrecognized_name 116=certificate_required 120=no_application_protocol", b, " ")
            for (i in b) { split(b[i], kv, "="); al[kv[1]] = kv[2] }
        }
        {
            s = $1 (($2 + 0) < 30000 ? "S>" : "C>")
            if ($11 == "1" || $11 == "True") s = s (($12 == "1" || $12 == "True") ? "SYN-ACK" : "SYN")
            n = split($3, t, ","); m = ""
            for (i = 1; i <= n; i++) m = m (m == "" ? "" : ",") ((t[i] in hs) ? hs[t[i]] : t[i])
            if (m != "") s = s m
            if ($6 != "") s = s "(certs_len=" $6 ")"
            if ($5 != "") {
                n = split($5, t, ","); split($4, lv, ",")
                for (i = 1; i <= n; i++) s = s " Alert(" (lv[i] == 2 ? "fatal" : "warn") ":" ((t[i] in al) ? al[t[i]] : t[i]) ")"
            }
            if ($3 == "" && $5 == "" && $9 != "") s = s "rec[" $9 "]"
            if ($3 == "" && $5 == "" && $9 == "" && $10 > 0) s = s "data(" $10 ")"
            if ($7 == "1" || $7 == "True") s = s "RST"
            if ($8 == "1" || $8 == "True") s = s "FIN"
            printf "%s  ", s
        }' || true)
    printf '%s [conns=%s] %s\n' "$(basename "$f" .pcap)" "$conns" "$flow"
done
