#!/usr/bin/env bash
# Makes the revocation unit-test vectors in this directory with openssl (3.0 or later) alone:
#   issuer.pem     the CA that issues the leaves and signs the CRLs and (directly) OCSP responses
#   leaf.pem       its leaf, serial 0x80A1B2C3D4E5F60718 (high bit set: DER 00 80 A1 ...)
#   other.pem      another leaf of the same issuer, serial 0x1001
#   responder.pem  a delegated OCSP responder: issued by issuer.pem, EKU OCSPSigning, noCheck
#   wrong-key.pem  self-signed, the issuer's own name with another key (signs the "wrong" ones)
#   ocsp-*.der     OCSP responses (openssl ocsp -index ... -respout), crl*.der CRLs (openssl ca)
#   README         every file and its dates, UTC and epoch seconds (written by this script)
# Certificates and CRLs have fixed dates (-startdate/-enddate, -crl_lastupdate/-crl_nextupdate).
# `openssl ocsp` has no option for a fixed date: the responses' producedAt and thisUpdate are the
# time this script ran, nextUpdate 7 days later; README records them. Private keys are not kept.
#
#   bash tests/data/revocation/make-vectors.sh
set -euo pipefail

out="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

ocsp_url=http://127.0.0.1:8080/ocsp
crl_url=http://127.0.0.1:8080/crl/leaf.crl
not_before=20260101000000Z
ca_not_after=20360101000000Z
not_after=20310101000000Z
crl_last=20260601000000Z
crl_next=20260608000000Z
revoked_at=260301000000Z   # index.txt form (YYMMDDHHMMSSZ)
leaf_serial=80A1B2C3D4E5F60718
other_serial=1001

cat >ca.cnf <<EOF
[ca]
default_ca = CA_default
[CA_default]
dir = $work
database = $work/index.txt
serial = $work/serial
crlnumber = $work/crlnumber
new_certs_dir = $work/certs
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
[policy_any]
commonName = supplied
[req]
distinguished_name = req_dn
[req_dn]
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
authorityInfoAccess = OCSP;URI:$ocsp_url
crlDistributionPoints = URI:$crl_url
[responder]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
noCheck = ignored
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[crl_ext]
authorityKeyIdentifier = keyid:always
[crl_plain]
[crl_idp]
authorityKeyIdentifier = keyid:always
issuingDistributionPoint = critical, @idp
[idp]
fullname = URI:$crl_url
EOF
mkdir certs
: >index.txt
echo "unique_subject = no" >index.txt.attr
echo 1000 >crlnumber

quiet() { # runs "$@", showing its stderr only when it fails
    if ! "$@" 2>stderr.log; then cat stderr.log >&2; return 1; fi
}
key() { quiet openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
issue() { # name common-name serial extensions not-after
    key "$1.key"
    openssl req -new -config ca.cnf -key "$1.key" -subj "/CN=$2" -out "$1.csr"
    echo "$3" >serial
    quiet openssl ca -batch -notext -config ca.cnf -cert issuer.pem -keyfile issuer.key -in "$1.csr" -out "$1.pem" \
        -extensions "$4" -startdate "$not_before" -enddate "$5"
}

key issuer.key
# openssl req -x509 has no -startdate: the issuer is self-signed through `openssl ca -selfsign`
openssl req -new -config ca.cnf -key issuer.key -subj "/CN=tls-checks vectors CA" -out issuer.csr
cat >>ca.cnf <<'EOF'
[ca_cert]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
EOF
echo 01 >serial
quiet openssl ca -batch -notext -selfsign -config ca.cnf -keyfile issuer.key -in issuer.csr -out issuer.pem \
    -extensions ca_cert -startdate "$not_before" -enddate "$ca_not_after"
issue leaf leaf.vectors.test "$leaf_serial" leaf "$not_after"
issue other other.vectors.test "$other_serial" leaf "$not_after"
issue responder "tls-checks vectors OCSP responder" 2001 responder "$not_after"
key wrong-key.key
echo 02 >serial
openssl req -new -config ca.cnf -key wrong-key.key -subj "/CN=tls-checks vectors CA" -out wrong-key.csr
cp index.txt index.issued
quiet openssl ca -batch -notext -selfsign -config ca.cnf -keyfile wrong-key.key -in wrong-key.csr -out wrong-key.pem \
    -extensions ca_cert -startdate "$not_before" -enddate "$ca_not_after"
cp index.issued index.txt

# Index states: the leaf valid, the leaf revoked (keyCompromise at a fixed time), the leaf unknown.
# (`openssl ca -revoke` would date the revocation now.)
awk -F'\t' -v OFS='\t' -v serial="$leaf_serial" '$4 != serial' index.issued >index.unknown
awk -F'\t' -v OFS='\t' -v serial="$leaf_serial" -v at="$revoked_at" \
    '$4 == serial { $1 = "R"; $3 = at ",keyCompromise" } { print }' index.issued >index.revoked
cp index.issued index.good

ocsp() { # out index signer-cert signer-key about-cert
    openssl ocsp -index "$2" -CA issuer.pem -rsigner "$3" -rkey "$4" -issuer issuer.pem -cert "$5" -no_nonce \
        -ndays 7 -respout "$out/$1" >/dev/null
}
ocsp ocsp-good.der index.good issuer.pem issuer.key leaf.pem
ocsp ocsp-revoked.der index.revoked issuer.pem issuer.key leaf.pem
ocsp ocsp-unknown.der index.unknown issuer.pem issuer.key leaf.pem
ocsp ocsp-wrong-key.der index.good wrong-key.pem wrong-key.key leaf.pem
ocsp ocsp-delegated.der index.good responder.pem responder.key leaf.pem
ocsp ocsp-other-cert.der index.good issuer.pem issuer.key other.pem

crl() { # out index signer-cert signer-key extensions
    cp "$2" index.txt
    quiet openssl ca -gencrl -config ca.cnf -cert "$3" -keyfile "$4" -crlexts "$5" -crl_lastupdate "$crl_last" \
        -crl_nextupdate "$crl_next" -out crl.pem
    openssl crl -in crl.pem -outform DER -out "$out/$1"
}
crl crl.der index.revoked issuer.pem issuer.key crl_ext
crl crl-bad-signature.der index.revoked wrong-key.pem wrong-key.key crl_plain
crl crl-idp.der index.revoked issuer.pem issuer.key crl_idp

for name in issuer leaf other responder wrong-key; do
    openssl x509 -in "$name.pem" -out "$out/$name.pem"
done

# --- README ---------------------------------------------------------------------------------
epoch() { date -u -d "$1" +%s; }
stamp() { printf '%s (%s)' "$(date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ)" "$(epoch "$1")"; }
field() { sed -n "s/^ *$1: //p" | head -1; }
ocsp_dates() {
    local text
    text="$(openssl ocsp -respin "$out/$1" -resp_text -noverify 2>/dev/null)"
    printf 'producedAt %s, thisUpdate %s, nextUpdate %s' \
        "$(stamp "$(field 'Produced At' <<<"$text")")" "$(stamp "$(field 'This Update' <<<"$text")")" \
        "$(stamp "$(field 'Next Update' <<<"$text")")"
}
crl_dates() {
    local text
    text="$(openssl crl -inform DER -in "$out/$1" -noout -text)"
    printf 'thisUpdate %s, nextUpdate %s' "$(stamp "$(field 'Last Update' <<<"$text")")" \
        "$(stamp "$(field 'Next Update' <<<"$text")")"
}
cert_dates() {
    printf 'notBefore %s, notAfter %s' "$(stamp "$(openssl x509 -in "$out/$1" -noout -startdate | cut -d= -f2)")" \
        "$(stamp "$(openssl x509 -in "$out/$1" -noout -enddate | cut -d= -f2)")"
}

cat >"$out/README" <<EOF
Revocation unit-test vectors, made by make-vectors.sh (run it again to remake every file; the
OCSP dates below then change, the others do not). All EC P-256, SHA-256; DER unless .pem.
Times are UTC, with epoch seconds in parentheses. The private keys were not kept.

Certificates (PEM):
  issuer.pem     CN=tls-checks vectors CA, self-signed CA; issues everything, signs crl*.der and the
                 OCSP responses except ocsp-delegated.der and ocsp-wrong-key.der.
                 $(cert_dates issuer.pem)
  leaf.pem       CN=leaf.vectors.test, serial 0x$leaf_serial (high bit set: its DER INTEGER is
                 00 80 A1 B2 C3 D4 E5 F6 07 18), AIA OCSP $ocsp_url,
                 CRL distribution point $crl_url.
                 $(cert_dates leaf.pem)
  other.pem      CN=other.vectors.test, serial 0x$other_serial, same issuer and pointers.
                 $(cert_dates other.pem)
  responder.pem  CN=tls-checks vectors OCSP responder, issued by issuer.pem, EKU OCSPSigning
                 (delegated responder, RFC 6960 4.2.2.2), id-pkix-ocsp-nocheck.
                 $(cert_dates responder.pem)
  wrong-key.pem  self-signed, subject CN=tls-checks vectors CA (the issuer's name) with another
                 key: what signed ocsp-wrong-key.der and crl-bad-signature.der.
                 $(cert_dates wrong-key.pem)

OCSP responses (openssl ocsp -index; one SingleResponse each, CertID hash SHA-1, no nonce; the
responder ID is the signer's name; each carries its signer's certificate):
  ocsp-good.der        leaf.pem good, signed by issuer.pem.
                       $(ocsp_dates ocsp-good.der)
  ocsp-revoked.der     leaf.pem revoked at 2026-03-01T00:00:00Z ($(epoch 2026-03-01T00:00:00Z)), reason keyCompromise (1),
                       signed by issuer.pem.
                       $(ocsp_dates ocsp-revoked.der)
  ocsp-unknown.der     leaf.pem unknown (the responder's index does not list it), signed by issuer.pem.
                       $(ocsp_dates ocsp-unknown.der)
  ocsp-wrong-key.der   leaf.pem good, signed by wrong-key.pem (issuer's name, another key): the
                       signature does not verify with issuer.pem's key.
                       $(ocsp_dates ocsp-wrong-key.der)
  ocsp-delegated.der   leaf.pem good, signed by responder.pem (included in the response).
                       $(ocsp_dates ocsp-delegated.der)
  ocsp-other-cert.der  other.pem good, signed by issuer.pem: the CertID does not match leaf.pem.
                       $(ocsp_dates ocsp-other-cert.der)

CRLs (openssl ca -gencrl, v2, CRL number in the extensions; each lists leaf.pem's serial,
revoked at 2026-03-01T00:00:00Z ($(epoch 2026-03-01T00:00:00Z)), reason keyCompromise):
  crl.der                signed by issuer.pem, authorityKeyIdentifier.
                         $(crl_dates crl.der)
  crl-bad-signature.der  issuer name CN=tls-checks vectors CA but signed by wrong-key.pem's key
                         (no authorityKeyIdentifier).
                         $(crl_dates crl-bad-signature.der)
  crl-idp.der            signed by issuer.pem, with a critical issuingDistributionPoint whose
                         fullName is $crl_url (leaf.pem's distribution point).
                         $(crl_dates crl-idp.der)
EOF
ls -l "$out"
