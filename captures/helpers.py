"""Tiny TCP peers for the capture scenarios that openssl cannot play.

Usage: python3 helpers.py MODE HOST PORT PKI_DIR
Each mode serves one connection (two for backlog-full) and exits, or is
killed by make.sh. Only the standard library is used.
"""
import socket
import ssl
import struct
import sys
import time


def listener(host, port, backlog=5):
    """A listening TCP socket on host:port."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(backlog)
    return s


def accept_and_read(host, port):
    """Accept one connection and read what the client sends first."""
    conn, _ = listener(host, port).accept()
    conn.settimeout(5)
    conn.recv(65536)
    return conn


def silent(host, port, _pki):
    """Read the ClientHello and never answer."""
    conn = accept_and_read(host, port)
    time.sleep(30)
    conn.close()


def fin(host, port, _pki):
    """Read the ClientHello, then close normally (FIN, no alert)."""
    accept_and_read(host, port).close()


def rst(host, port, _pki):
    """Read the ClientHello, then abort the connection (RST)."""
    conn = accept_and_read(host, port)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def http400(host, port, _pki):
    """A plain HTTP server: answers the TLS ClientHello with 400."""
    conn = accept_and_read(host, port)
    body = b"Bad Request: this port speaks plain HTTP\n"
    conn.sendall(
        b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
        + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
        + body
    )
    conn.close()


def plain_get(host, port, _pki):
    """A plain HTTP client talking to a TLS port."""
    c = socket.create_connection((host, port), timeout=5)
    c.sendall(b"GET / HTTP/1.1\r\nHost: server.tlsdiag.test\r\nConnection: close\r\n\r\n")
    try:
        while c.recv(65536):
            pass
    except OSError:
        pass
    c.close()


def backlog_full(host, port, _pki):
    """Listen with a full accept queue: the kernel then drops new SYNs.

    One filler connection (made before the capture starts) fills the
    queue of a backlog-0 listener that never accepts.
    """
    s = listener(host, port, backlog=0)
    filler = socket.create_connection((host, port), timeout=5)
    print("ready", flush=True)
    time.sleep(30)
    filler.close()
    s.close()


def https403(host, port, pki):
    """TLS 1.2 server with optional client auth answering 403 without a cert."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(f"{pki}/server-fullchain.pem", f"{pki}/server.key")
    ctx.load_verify_locations(f"{pki}/clientca.crt")
    ctx.verify_mode = ssl.CERT_OPTIONAL
    raw, _ = listener(host, port).accept()
    conn = ctx.wrap_socket(raw, server_side=True)
    conn.recv(65536)
    if conn.getpeercert():
        status, body = b"200 OK", b"hello, client\n"
    else:
        status, body = b"403 Forbidden", b"client certificate required\n"
    conn.sendall(
        b"HTTP/1.1 " + status + b"\r\nContent-Type: text/plain\r\n"
        + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
        + body
    )
    conn.unwrap()
    conn.close()


def close_notify(host, port, _pki):
    """Read the ClientHello, answer with a plaintext close_notify alert, close."""
    conn = accept_and_read(host, port)
    conn.sendall(bytes([21, 3, 3, 0, 2, 1, 0]))
    time.sleep(0.2)
    conn.close()


def illegal_parameter(host, port, _pki):
    """Read the ClientHello, answer with a fatal illegal_parameter alert, close."""
    conn = accept_and_read(host, port)
    conn.sendall(bytes([21, 3, 3, 0, 2, 2, 47]))
    time.sleep(0.2)
    conn.close()


def _packets(path):
    """(header, data) records of a little-endian microsecond pcap, and its file header."""
    raw = open(path, "rb").read()
    head, i, out = raw[:24], 24, []
    while i + 16 <= len(raw):
        incl = struct.unpack("<I", raw[i + 8:i + 12])[0]
        out.append((raw[i:i + 16], raw[i + 16:i + 16 + incl]))
        i += 16 + incl
    return head, out


def _first_server_payload(packets, port):
    """Index of the first Ethernet/IPv4/TCP packet from PORT that carries payload."""
    for n, (_, d) in enumerate(packets):
        ihl = (d[14] & 0x0F) * 4
        tcp = 14 + ihl
        sport = struct.unpack("!H", d[tcp:tcp + 2])[0]
        doff = (d[tcp + 12] >> 4) * 4
        if sport == port and len(d) > tcp + doff:
            return n, tcp + doff
    raise SystemExit("no server payload packet")


def corrupt_client_cert(path, port):
    """Break the DER of the client's certificate: the Certificate message keeps
    its lengths, the certificate inside no longer parses."""
    head, packets = _packets(path)
    for n, (hdr, d) in enumerate(packets):
        ihl = (d[14] & 0x0F) * 4
        tcp = 14 + ihl
        dport = struct.unpack("!H", d[tcp + 2:tcp + 4])[0]
        off = tcp + (d[tcp + 12] >> 4) * 4
        payload = d[off:]
        # The client's flight starts with a handshake record holding Certificate (11).
        if dport == port and payload[:1] == b"\x16" and payload[5:6] == b"\x0b":
            i = payload.find(b"\x30\x82", 5)
            if i > 0:
                bad = bytearray(d)
                bad[off + i + 4] = 0x05  # the inner TBSCertificate SEQUENCE becomes NULL
                packets[n] = (hdr, bytes(bad))
                break
    with open(path, "wb") as f:
        f.write(head)
        for h, d in packets:
            f.write(h + d)


def edit(mode, path, port):
    """Damage a finished capture the way real captures are damaged.

    drop-server-flight: remove the server's first data segment (a capture
    that missed a packet). conflict: insert a retransmission of it whose
    bytes differ (a middlebox or a broken NIC rewrote it).
    """
    head, packets = _packets(path)
    n, off = _first_server_payload(packets, int(port))
    hdr, data = packets[n]
    if mode == "drop-server-flight":
        del packets[n]
    else:
        bad = bytearray(data)
        for k in range(off + 40, min(off + 48, len(bad))):
            bad[k] ^= 0xFF
        packets.insert(n + 1, (hdr, bytes(bad)))
    with open(path, "wb") as f:
        f.write(head)
        for h, d in packets:
            f.write(h + d)


MODES = {
    "close-notify": close_notify,
    "illegal-parameter": illegal_parameter,
    "silent": silent,
    "fin": fin,
    "rst": rst,
    "http400": http400,
    "plain-get": plain_get,
    "backlog-full": backlog_full,
    "https403": https403,
}

if __name__ == "__main__":
    if sys.argv[1] in ("drop-server-flight", "conflict"):
        edit(sys.argv[1], sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "corrupt-client-cert":
        corrupt_client_cert(sys.argv[2], int(sys.argv[3]))
    else:
        mode, h, p, pki_dir = sys.argv[1:5]
        MODES[mode](h, int(p), pki_dir)
