#!/usr/bin/env python3
"""Records what tshark reads in the captures that come with their TLS secrets,
with and without those secrets, for the decryption tests (`--keylog`).

Run from anywhere:  python3 tests/data/tshark-decrypted.py
Writes tests/data/tshark-decrypted.json. Needs tshark 4.x; the tests do not.

Captures: every captures/NAME.pcap with a captures/NAME.keys next to it (NSS
key log, read with `-o tls.keylog_file:NAME.keys`), and every captures/*.pcapng
(its secrets are inside, in a Decryption Secrets Block; tshark uses them
without any option, so the "encrypted" reading is made from a copy without
that block, written by strip_secrets below).

Per capture:
  keylog:     the key log file used, or null for a pcapng with embedded secrets;
  decrypted:  per frame with a TLS handshake message or alert, as tshark reads
              it WITH the secrets (decrypted messages included): handshake
              types, alert levels and descriptions, certificate serials
              (x509af.serialNumber, as in tshark-parity.json) and Certificate
              message lengths (tls.handshake.certificates_length; 0 = empty
              client Certificate); in ServerHello frames also the selected
              suite and supported_version;
  encrypted:  the same WITHOUT the secrets (what tshark-parity.json has);
  summary:    counts of handshake messages and alerts in both readings, and
              the handshake types and alerts only the decrypted reading has.
Frames are numbered as in the file (both readings have the same frames).
tshark runs with out-of-order TCP reassembly on, as in tshark-parity.py.
"""
import collections, glob, json, os, shutil, struct, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OPTS = ["-o", "tcp.reassemble_out_of_order:TRUE"]
FIELDS = ["frame.number", "tls.handshake.type", "tls.alert_message.level", "tls.alert_message.desc",
          "x509af.serialNumber", "tls.handshake.certificates_length", "tls.handshake.ciphersuite",
          "tls.handshake.extensions.supported_version"]


def tshark(path, extra):
    cmd = ["tshark", "-r", path, *OPTS, *extra, "-Y", "tcp and (tls.handshake or tls.alert_message)",
           "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in FIELDS:
        cmd += ["-e", f]
    res = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    if res.returncode != 0:
        sys.exit(f"tshark failed on {path}: {res.stderr.strip()}")
    return [line.split("\t") for line in res.stdout.splitlines() if line]


def strip_secrets(src, dst):
    """Copies a pcapng without its Decryption Secrets Blocks (type 0x0000000A).
    (editcap 4.0 --discard-all-secrets refuses to rewrite such a file.)"""
    data = open(src, "rb").read()
    out, pos, endian = [], 0, "<"
    while pos + 12 <= len(data):
        btype = struct.unpack_from(endian + "I", data, pos)[0]
        if btype == 0x0A0D0D0A:  # Section Header Block: its byte-order magic says the endianness
            endian = "<" if data[pos + 8:pos + 12] == b"\x4d\x3c\x2b\x1a" else ">"
        blen = struct.unpack_from(endian + "I", data, pos + 4)[0]
        if blen < 12 or pos + blen > len(data):
            sys.exit(f"{src}: damaged pcapng block at offset {pos}")
        if btype != 0x0000000A:
            out.append(data[pos:pos + blen])
        pos += blen
    with open(dst, "wb") as fh:
        fh.write(b"".join(out))


def ints(s):
    return [int(x) for x in s.split(",") if x]


def strs(s):
    return [x for x in s.split(",") if x]


def rows(path, extra):
    out = []
    for r in tshark(path, extra):
        r += [""] * (len(FIELDS) - len(r))
        types = ints(r[1])
        row = {
            "frame": int(r[0]),
            "types": types,
            "alert_levels": ints(r[2]),
            "alert_descs": ints(r[3]),
            "serials": strs(r[4]),
            "cert_lengths": ints(r[5]),
        }
        if 2 in types and 1 not in types:
            # ServerHello (or HelloRetryRequest): the suite it selected.
            row["suite"] = r[6] or None
            row["supported_version"] = r[7] or None
        out.append(row)
    return out


def counts(rs, key):
    c = collections.Counter()
    for r in rs:
        c.update(r[key])
    return c


def only_in(dec, enc, key):
    """Per frame, the values the decrypted reading has beyond the encrypted one."""
    by_frame = {r["frame"]: collections.Counter(r[key]) for r in enc}
    out = collections.Counter()
    for r in dec:
        out.update(collections.Counter(r[key]) - by_frame.get(r["frame"], collections.Counter()))
    return out


def summary(dec, enc):
    hs_d, hs_e = counts(dec, "types"), counts(enc, "types")
    al_d, al_e = counts(dec, "alert_descs"), counts(enc, "alert_descs")
    only_t, only_a = only_in(dec, enc, "types"), only_in(dec, enc, "alert_descs")
    return {
        "handshake_messages_decrypted": sum(hs_d.values()),
        "handshake_messages_encrypted": sum(hs_e.values()),
        "alerts_decrypted": sum(al_d.values()),
        "alerts_encrypted": sum(al_e.values()),
        # handshake type / alert description -> how many only the decrypted reading shows
        "only_decrypted_types": {str(k): v for k, v in sorted(only_t.items())},
        "only_decrypted_alerts": {str(k): v for k, v in sorted(only_a.items())},
    }


def main():
    if not shutil.which("tshark"):
        sys.exit("tshark not found")
    caps = os.path.join(ROOT, "captures")
    jobs = []  # (key, capture path, keylog path or None)
    for keys in sorted(glob.glob(os.path.join(caps, "*.keys"))):
        pcap = keys[: -len(".keys")] + ".pcap"
        if os.path.isfile(pcap):
            jobs.append((os.path.relpath(pcap, ROOT), pcap, keys))
        else:
            print(f"warning: {os.path.relpath(keys, ROOT)} has no .pcap", file=sys.stderr)
    for pcapng in sorted(glob.glob(os.path.join(caps, "*.pcapng"))):
        jobs.append((os.path.relpath(pcapng, ROOT), pcapng, None))

    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        for key, path, keys in sorted(jobs):
            if keys:
                dec = rows(path, ["-o", f"tls.keylog_file:{keys}"])
                # An empty keylog setting, so a user preference cannot decrypt.
                enc = rows(path, ["-o", "tls.keylog_file:"])
            else:
                stripped = os.path.join(tmp, os.path.basename(path))
                strip_secrets(path, stripped)
                dec = rows(path, ["-o", "tls.keylog_file:"])
                enc = rows(stripped, ["-o", "tls.keylog_file:"])
            result[key] = {
                "keylog": os.path.relpath(keys, ROOT) if keys else None,
                "decrypted": dec,
                "encrypted": enc,
                "summary": summary(dec, enc),
            }
    out = os.path.join(ROOT, "tests", "data", "tshark-decrypted.json")
    with open(out, "w") as fh:
        json.dump(result, fh, indent=0, sort_keys=True)
        fh.write("\n")
    for key, v in result.items():
        s = v["summary"]
        print(f"{key}: handshake messages {s['handshake_messages_decrypted']} decrypted / "
              f"{s['handshake_messages_encrypted']} encrypted, alerts {s['alerts_decrypted']} / "
              f"{s['alerts_encrypted']}", file=sys.stderr)
    print(f"{len(result)} captures", file=sys.stderr)


if __name__ == "__main__":
    main()
