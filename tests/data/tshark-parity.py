#!/usr/bin/env python3
"""Records what tshark reads in each capture, for tests/parity.rs.

Run from the repository root:  python3 tests/data/tshark-parity.py
Writes tests/data/tshark-parity.json. Needs tshark; the tests do not.

For every capture in captures/ and in the public corpus (../shared/corpus,
when present) it stores:
  streams: per TCP stream (tshark's tcp.stream), the two endpoints and the
           frames and frame bytes in each direction (what `-z conv,tcp` sums);
  tls:     per frame with TLS, the handshake types, SNI, cipher suites,
           selected version, alert level/description, certificate serials.
tshark runs with out-of-order TCP reassembly on, as tlsdiag always does.
"""
import json, os, subprocess, sys, glob

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OPTS = ["-o", "tcp.reassemble_out_of_order:TRUE"]


def tshark(path, filt, fields):
    cmd = ["tshark", "-r", path, *OPTS, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,"]
    if filt:
        cmd += ["-Y", filt]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, errors="replace").stdout
    return [line.split("\t") for line in out.splitlines() if line]


def ep(ip4, ip6, port):
    ip = ip4 or ip6
    if not ip:
        return None
    ip = ip.split(",")[-1]  # innermost address when tunnelled
    port = port.split(",")[-1]
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def streams(path):
    rows = tshark(path, "tcp", ["tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst", "tcp.dstport", "frame.len"])
    out = {}
    for r in rows:
        if len(r) < 8 or not r[0]:
            continue
        sid = r[0].split(",")[-1]
        src, dst = ep(r[1], r[2], r[3]), ep(r[4], r[5], r[6])
        s = out.setdefault(sid, {"a": src, "b": dst, "frames_ab": 0, "bytes_ab": 0, "frames_ba": 0, "bytes_ba": 0})
        key = "ab" if src == s["a"] else "ba"
        s["frames_" + key] += 1
        s["bytes_" + key] += int(r[7] or 0)
    return [out[k] for k in sorted(out, key=int)]


def tls(path):
    fields = ["frame.number", "tls.handshake.type", "tls.handshake.extensions_server_name", "tls.handshake.ciphersuite",
              "tls.handshake.extensions.supported_version", "tls.handshake.version", "tls.alert_message.level",
              "tls.alert_message.desc", "x509af.serialNumber", "tls.handshake.certificates_length"]
    out = []
    for r in tshark(path, "tcp and (tls.handshake or tls.alert_message)", fields):
        r += [""] * (len(fields) - len(r))
        out.append({
            "frame": int(r[0]),
            "types": [int(x) for x in r[1].split(",") if x],
            "sni": r[2] or None,
            "suites": r[3] or None,
            "supported_versions": r[4] or None,
            "versions": r[5] or None,
            "alert_levels": r[6] or None,
            "alert_descs": r[7] or None,
            "serials": r[8] or None,
            "cert_lengths": r[9] or None,
        })
    return out


def main():
    files = sorted(glob.glob(os.path.join(ROOT, "captures", "*.pcap")))
    corpus = os.path.join(ROOT, "..", "shared", "corpus")
    files += sorted(glob.glob(os.path.join(corpus, "*", "*.pcap")))
    result = {}
    for f in files:
        rel = os.path.relpath(f, ROOT)
        key = rel.replace(os.path.join("..", "shared", "corpus") + os.sep, "corpus/")
        result[key] = {"streams": streams(f), "tls": tls(f)}
    with open(os.path.join(ROOT, "tests", "data", "tshark-parity.json"), "w") as fh:
        json.dump(result, fh, indent=0, sort_keys=True)
        fh.write("\n")
    print(f"{len(result)} captures", file=sys.stderr)


if __name__ == "__main__":
    main()
