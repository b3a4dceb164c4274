#!/usr/bin/env bash
# The tier CA: a certificate authority of the test tiers, created once and kept in .cache/cluster/ca/ so
# that the images which trust it (the stand-in base image adds it to its CA bundle, see
# test/support/dev-image.sh) stay cached. It signs what the tiers serve under public names, such as the
# git server that answers for https://github.com/ inside the cluster's network namespace, so that pods
# clone with TLS verified and nothing in the manifests changes.
#
#   bash test/cluster/ca.sh                                  # creates the CA if needed; prints its directory
#   bash test/cluster/ca.sh issue <dir> <name> [<san>...]    # <dir>/tls.crt, <dir>/tls.key, <dir>/ca.crt
#        <san>: DNS:<name> or IP:<address>; a bare value is taken as an IP address when it looks like one
#
# The CA directory holds ca.crt and ca.key (0600). The CA is name-constrained: it can only certify
# github.com and its subdomains, names under .svc and .cluster.local, localhost, and private or loopback
# addresses, so that its key, which sits in a cache directory, cannot impersonate anything else to the
# images that trust it. Delete .cache/cluster/ca to make a new one (the base image is rebuilt then).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir=$root/.cache/cluster/ca
command -v openssl >/dev/null || { echo "test/cluster/ca.sh: openssl is not on PATH" >&2; exit 2; }
mkdir -p "$dir"

create_ca() {
  exec 8>"$dir/.lock"
  flock 8
  [[ -s $dir/ca.crt && -s $dir/ca.key ]] && return
  local tmp
  tmp=$(mktemp -d "$dir/.new.XXXXXX")
  openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/ca.key" 2>/dev/null
  chmod 600 "$tmp/ca.key"
  cat >"$tmp/ca.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
x509_extensions = ca
[dn]
O = cdk8s-go-remote tests
CN = cdk8s-go-remote tier CA (tests only)
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
nameConstraints = critical, @permitted
[permitted]
permitted;DNS.1 = github.com
permitted;DNS.2 = svc
permitted;DNS.3 = cluster.local
permitted;DNS.4 = localhost
permitted;IP.1 = 10.0.0.0/255.0.0.0
permitted;IP.2 = 172.16.0.0/255.240.0.0
permitted;IP.3 = 192.168.0.0/255.255.0.0
permitted;IP.4 = 127.0.0.0/255.0.0.0
EOF
  openssl req -new -x509 -sha256 -days 3650 -key "$tmp/ca.key" -config "$tmp/ca.cnf" -out "$tmp/ca.crt"
  mv "$tmp/ca.key" "$dir/ca.key"
  mv "$tmp/ca.crt" "$dir/ca.crt"
  rm -rf "$tmp"
  echo "test/cluster/ca.sh: created the tier CA in $dir" >&2
}

issue() {
  local out=$1 name=$2
  shift 2
  local sans=() san
  for san in "$@"; do
    case $san in
      DNS:* | IP:*) sans+=("$san") ;;
      *[!0-9.]*) sans+=("DNS:$san") ;;
      *) sans+=("IP:$san") ;;
    esac
  done
  [[ ${#sans[@]} -gt 0 ]] || sans=("DNS:$name")
  mkdir -p "$out"
  local tmp
  tmp=$(mktemp -d "$out/.new.XXXXXX")
  # shellcheck disable=SC2064 # expand now: this call's directory
  trap "rm -rf '$tmp'" EXIT
  openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/tls.key" 2>/dev/null
  chmod 600 "$tmp/tls.key"
  local IFS=,
  cat >"$tmp/ext.cnf" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = ${sans[*]}
authorityKeyIdentifier = keyid
EOF
  openssl req -new -key "$tmp/tls.key" -subj "/O=cdk8s-go-remote tests/CN=$name" -out "$tmp/tls.csr"
  openssl x509 -req -sha256 -days 825 -in "$tmp/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -CAcreateserial -CAserial "$tmp/ca.srl" -extfile "$tmp/ext.cnf" -out "$tmp/tls.crt" 2>/dev/null
  openssl verify -CAfile "$dir/ca.crt" "$tmp/tls.crt" >/dev/null ||
    { echo "test/cluster/ca.sh: the tier CA may not certify $name (${sans[*]}; see its name constraints)" >&2; exit 1; }
  mv "$tmp/tls.key" "$out/tls.key"
  mv "$tmp/tls.crt" "$out/tls.crt"
  cp "$dir/ca.crt" "$out/ca.crt"
  rm -rf "$tmp"
}

create_ca
case ${1:-} in
  "") echo "$dir" ;;
  issue)
    [[ $# -ge 3 ]] || { echo "usage: test/cluster/ca.sh issue <dir> <name> [DNS:<name>|IP:<address>...]" >&2; exit 2; }
    shift
    issue "$@"
    ;;
  *) echo "usage: test/cluster/ca.sh [issue <dir> <name> [<san>...]]" >&2; exit 2 ;;
esac
