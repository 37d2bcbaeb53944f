#!/usr/bin/env bash
# Builds the throw-away test PKI used by make.sh. Sourced by make.sh; defines
# make_pki DIR. Every key here is a public test key: never trust it anywhere.
set -euo pipefail

# Extension sections shared by all certificates; `openssl ca -extensions X`
# picks one. Sections are small so each certificate says what it is for.
write_ext_conf() {
    cat >"$1" <<'CONF'
[ca_root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ca_sub]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:server.tlsdiag.test, DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[server_other]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:other.example.net
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[server_hostile]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:server.tlsdiag.test
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[server_selfsigned]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:server.tlsdiag.test, DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash

[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[client_selfsigned]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash

[client_serverauth_only]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
CONF
}

# ca_conf DIR: minimal `openssl ca` configuration for the CA stored in DIR.
ca_conf() {
    local d=$1
    mkdir -p "$d/newcerts"
    [ -f "$d/index.txt" ] || : >"$d/index.txt"
    [ -f "$d/crlnumber" ] || echo 1000 >"$d/crlnumber"
    [ -f "$d/serial" ] || echo 01 >"$d/serial"
    cat >"$d/ca.cnf" <<CONF
[ca]
default_ca = this_ca
[this_ca]
dir = .
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
crlnumber = \$dir/crlnumber
serial = \$dir/serial
unique_subject = no
default_md = sha256
default_crl_days = 7300
policy = policy_any
preserve = yes
copy_extensions = none
[policy_any]
organizationName = optional
commonName = supplied
CONF
}

# key FILE TYPE: generate a private key (ec = P-256, rsaN = RSA N bits).
key() {
    case $2 in
        ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null ;;
        rsa*) openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${2#rsa}" -out "$1" 2>/dev/null ;;
    esac
}

# issue PKI CA NAME SUBJECT EXT KEYTYPE [START END [MD]]
# Signs PKI/NAME.crt with CA (a name under PKI, or "self" for self-signed).
# EXT "none" gives an X.509 v1 certificate (openssl ca without extensions).
issue() {
    local pki=$1 ca=$2 name=$3 subj=$4 ext=$5 ktype=$6
    local start=${7:-20250101000000Z} end=${8:-20450101000000Z} md=${9:-sha256}
    key "$pki/$name.key" "$ktype"
    openssl req -new -key "$pki/$name.key" -subj "$subj" -out "$pki/$name.csr" 2>>"$pki/openssl.log"
    local extargs=(-extfile "$pki/ext.cnf" -extensions "$ext")
    [ "$ext" = none ] && extargs=()
    if [ "$ca" = self ]; then
        ca_conf "$pki/$name.ca"
        (cd "$pki/$name.ca" && openssl ca -batch -notext -config ca.cnf -selfsign \
            -keyfile "../$name.key" -in "../$name.csr" -out "../$name.crt" \
            -rand_serial -md "$md" -startdate "$start" -enddate "$end" "${extargs[@]}" >/dev/null 2>>"$pki/openssl.log") || { cat "$pki/openssl.log" >&2; return 1; }
    else
        (cd "$pki/$ca.ca" && openssl ca -batch -notext -config ca.cnf \
            -cert "../$ca.crt" -keyfile "../$ca.key" -in "../$name.csr" -out "../$name.crt" \
            -rand_serial -md "$md" -startdate "$start" -enddate "$end" "${extargs[@]}" >/dev/null 2>>"$pki/openssl.log") || { cat "$pki/openssl.log" >&2; return 1; }
    fi
    rm -f "$pki/$name.csr"
}

# new_ca PKI PARENT NAME CN: a CA certificate plus its `openssl ca` state.
new_ca() {
    local pki=$1 parent=$2 name=$3 cn=$4
    ca_conf "$pki/$name.ca"
    if [ "$parent" = self ]; then
        issue "$pki" self "$name" "/O=tlsdiag test/CN=$cn" ca_root ec
    else
        issue "$pki" "$parent" "$name" "/O=tlsdiag test/CN=$cn" ca_sub ec
    fi
}

make_pki() {
    local pki=$1
    rm -rf "$pki"
    mkdir -p "$pki"
    write_ext_conf "$pki/ext.cnf"

    # Server side: root -> intermediate -> leaves.
    new_ca "$pki" self root "tlsdiag Test Root CA"
    new_ca "$pki" root inter "tlsdiag Test Intermediate CA"
    issue "$pki" inter server "/O=tlsdiag test/CN=server.tlsdiag.test" server ec
    issue "$pki" inter server-renewed "/O=tlsdiag test/OU=renewed/CN=server.tlsdiag.test" server ec
    issue "$pki" inter server-expired "/O=tlsdiag test/CN=server.tlsdiag.test" server ec \
        20230101000000Z 20240101000000Z
    issue "$pki" inter server-notyet "/O=tlsdiag test/CN=server.tlsdiag.test" server ec \
        20300101000000Z 20310101000000Z
    issue "$pki" self server-selfsigned "/O=tlsdiag test/CN=server.tlsdiag.test" server_selfsigned ec
    issue "$pki" inter server-wrongname "/O=tlsdiag test/CN=other.example.net" server_other ec
    issue "$pki" inter server-hostile \
        '/O=tlsdiag "test" & <b>co<\/b>/CN=<script>alert(1)<\/script>|`id`' server_hostile ec

    # Client side: its own CA, a second unrelated CA, and many leaves.
    new_ca "$pki" self clientca "tlsdiag Test Client CA"
    new_ca "$pki" self otherca "tlsdiag Other Client CA"
    issue "$pki" clientca client-jane "/O=tlsdiag test/CN=client-jane" client ec
    issue "$pki" otherca client-other "/O=tlsdiag test/CN=client-bob" client ec
    issue "$pki" clientca client-expired "/O=tlsdiag test/CN=client-expired" client ec \
        20230101000000Z 20240101000000Z
    issue "$pki" clientca client-revoked "/O=tlsdiag test/CN=client-revoked" client ec
    issue "$pki" clientca client-notyet "/O=tlsdiag test/CN=client-notyet" client ec \
        20300101000000Z 20310101000000Z
    issue "$pki" self client-selfsigned "/O=tlsdiag test/CN=client-selfsigned" client_selfsigned ec
    issue "$pki" clientca client-sha1 "/O=tlsdiag test/CN=client-sha1" client rsa2048 \
        20250101000000Z 20450101000000Z sha1
    issue "$pki" clientca client-rsa1024 "/O=tlsdiag test/CN=client-rsa1024" client rsa1024
    issue "$pki" clientca client-v1 "/O=tlsdiag test/CN=client-v1" none ec
    issue "$pki" clientca client-serverauth "/O=tlsdiag test/CN=client-serverauth-only" \
        client_serverauth_only ec

    # A deep client chain: client CA -> deep1 -> ... -> deep6 -> client-deep.
    local parent=clientca i
    for i in 1 2 3 4 5 6; do
        new_ca "$pki" "$parent" "deep$i" "tlsdiag Deep CA $i"
        parent=deep$i
    done
    issue "$pki" deep6 client-deep "/O=tlsdiag test/CN=client-deep" client ec

    # CRL from the client CA revoking client-revoked.
    (cd "$pki/clientca.ca" && openssl ca -batch -config ca.cnf -cert ../clientca.crt \
        -keyfile ../clientca.key -revoke ../client-revoked.crt -crl_reason keyCompromise 2>/dev/null \
        && openssl ca -batch -config ca.cnf -cert ../clientca.crt -keyfile ../clientca.key \
            -gencrl -out ../clientca.crl.pem >/dev/null 2>>"$pki/openssl.log") || { cat "$pki/openssl.log" >&2; return 1; }

    # CRL from the intermediate revoking server-renewed (for server-side revocation).
    (cd "$pki/inter.ca" && openssl ca -batch -config ca.cnf -cert ../inter.crt \
        -keyfile ../inter.key -revoke ../server-renewed.crt -crl_reason superseded 2>/dev/null \
        && sed -i 's/^R\t\([0-9Z]*\)\t[0-9]*Z,/R\t\1\t250101000000Z,/' index.txt \
        && openssl ca -batch -config ca.cnf -cert ../inter.crt -keyfile ../inter.key \
            -gencrl -out ../inter.crl.pem >/dev/null 2>>"$pki/openssl.log") || { cat "$pki/openssl.log" >&2; return 1; }

    # Bundles used by the scenarios.
    cat "$pki/inter.crt" >"$pki/chain-inter.pem"
    cat "$pki/server.crt" "$pki/inter.crt" >"$pki/server-fullchain.pem"
    cat "$pki/inter.crt" "$pki/root.crt" >"$pki/chain-inter-root.pem"
    # Misordered: root before the intermediate, plus an unrelated CA.
    cat "$pki/root.crt" "$pki/otherca.crt" "$pki/inter.crt" >"$pki/chain-misordered.pem"
    : >"$pki/chain-deep.pem"
    for i in 6 5 4 3 2 1; do cat "$pki/deep$i.crt" >>"$pki/chain-deep.pem"; done
    cat "$pki/clientca.crt" "$pki/clientca.crl.pem" >"$pki/clientca-with-crl.pem"
    rm -rf "$pki"/*.ca "$pki/openssl.log"
    touch "$pki/.complete"
}
