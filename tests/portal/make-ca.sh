#!/bin/sh
# make-ca.sh DIR [NAME...]: a throw-away test CA and TLS server certificates
# for the portal emulator (openssl CLI only; EC P-256; nothing leaves DIR).
#
# Writes into DIR (created if missing, files replaced):
#   ca.pem ca.key            the test CA (trust anchor: point SSL_CERT_FILE
#                            or the gateway's CA option at ca.pem)
#   server.pem server.key    server cert signed by the CA, valid now, for
#                            portal.test, localhost, 127.0.0.1, ::1 and every
#                            NAME given (a NAME that looks like an IPv4/IPv6
#                            address becomes an IP SAN, anything else DNS)
#   chain.pem                server.pem followed by ca.pem
#   wronghost.pem/.key       signed by the CA, but only for wrong-host.test
#   untrusted.pem/.key       same names as server.pem, self-signed (no CA)
#   expired.pem/.key         signed by the CA for the same names, expired
#                            (valid 2020-01-01 .. 2020-01-02)
# Exit status 0 on success.  Prints nothing unless something fails.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 DIR [NAME...]" >&2; exit 2; }
dir=$1
shift
command -v openssl >/dev/null 2>&1 || { echo "make-ca.sh: openssl not found (Debian package openssl)" >&2; exit 1; }
mkdir -p "$dir"
cd "$dir"
umask 077

san="DNS:portal.test,DNS:localhost,IP:127.0.0.1,IP:::1"
for n in "$@"; do
	case $n in
	*:*|[0-9]*.[0-9]*.[0-9]*.[0-9]*) san="$san,IP:$n" ;;
	*) san="$san,DNS:$n" ;;
	esac
done

log=$(mktemp)
trap 'rm -f "$log" ca.srl server.csr wronghost.csr expired.csr server.ext wronghost.ext expired.ext; rm -rf ca.db' EXIT
run() {
	if ! "$@" >>"$log" 2>&1; then
		echo "make-ca.sh: failed: $*" >&2
		cat "$log" >&2
		exit 1
	fi
}

newkey() { run openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

newkey ca.key
run openssl req -new -x509 -key ca.key -out ca.pem -days 30 -sha256 \
	-subj "/CN=Firezone gateway test CA $$" \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign"

# leaf NAME SANS: key, CSR, extension file for one server certificate.
leaf() {
	newkey "$1.key"
	run openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$3"
	cat >"$1.ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$2
authorityKeyIdentifier=keyid,issuer
EOF
}

leaf server "$san" portal.test
run openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
	-out server.pem -days 30 -sha256 -extfile server.ext
cat server.pem ca.pem >chain.pem

leaf wronghost "DNS:wrong-host.test" wrong-host.test
run openssl x509 -req -in wronghost.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
	-out wronghost.pem -days 30 -sha256 -extfile wronghost.ext

newkey untrusted.key
run openssl req -new -x509 -key untrusted.key -out untrusted.pem -days 30 -sha256 \
	-subj "/CN=portal.test" -addext "subjectAltName=$san" \
	-addext "extendedKeyUsage=serverAuth"

# An expired certificate needs explicit dates: "openssl ca" with a
# minimal database.
leaf expired "$san" portal.test
mkdir -p ca.db
: >ca.db/index.txt
echo 1000 >ca.db/serial
cat >ca.db/ca.cnf <<EOF
[ca]
default_ca = test
[test]
database = ca.db/index.txt
serial = ca.db/serial
new_certs_dir = ca.db
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[any]
commonName = supplied
EOF
run openssl ca -batch -config ca.db/ca.cnf -cert ca.pem -keyfile ca.key \
	-in expired.csr -out expired.pem -startdate 20200101000000Z \
	-enddate 20200102000000Z -extfile expired.ext -notext
chmod 644 ca.pem server.pem chain.pem wronghost.pem untrusted.pem expired.pem
