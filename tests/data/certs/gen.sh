#!/bin/sh
# Regenerates the openssl-made fixtures used by tests/certs.rs. They cover what
# rcgen (ring backend) cannot mint: a 1024-bit RSA key, a SHA-1 signature and
# an X.509 v1 certificate. Private keys are generated in a temporary directory
# and thrown away; only the certificates are kept. Validity dates do not matter
# to the tests that use these files (no test checks them against the clock).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

openssl req -x509 -newkey rsa:1024 -nodes -keyout "$tmp/k1" -sha256 -days 3650 \
    -subj "/CN=weak-rsa-1024.test" -addext "subjectAltName=DNS:weak-rsa-1024.test" \
    -out "$here/rsa1024-selfsigned.pem"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/k2" -sha1 -days 3650 \
    -subj "/CN=sha1.test" -addext "subjectAltName=DNS:sha1.test" \
    -out "$here/sha1-selfsigned.pem"

# x509 -req without an extension file writes a version 1 certificate (OpenSSL 3.0).
openssl req -new -newkey rsa:2048 -nodes -keyout "$tmp/k3" -subj "/CN=v1.test" -out "$tmp/v1.csr"
openssl x509 -req -in "$tmp/v1.csr" -signkey "$tmp/k3" -sha256 -days 3650 -out "$here/v1-selfsigned.pem"
