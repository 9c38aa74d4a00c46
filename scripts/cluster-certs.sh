#!/bin/sh
# Make the TLS certificates for a Steward scan cluster (docs/cluster.md): one private CA, and a certificate and
# key for each node name given (the scheduler, each worker, the coordinator). Dask checks that every peer's
# certificate is signed by the CA; the names go into subjectAltName so they also match the hosts.
#   scripts/cluster-certs.sh DIR scan-head scan-w1 scan-w2 steward-coord
# Copy ca.pem to every node, and NAME.pem with NAME.key to node NAME only (mode 0600, owned by the service user).
set -eu
dir=$1; shift
mkdir -p "$dir"; umask 077
if [ ! -f "$dir/ca.pem" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1825 -subj "/CN=Steward scan cluster CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
fi
for name in "$@"; do
  case "$name" in *[!A-Za-z0-9.-]*) echo "bad node name: $name" >&2; exit 2;; esac
  san="DNS:$name"
  case "$name" in *[!0-9.]*) ;; *) san="IP:$name";; esac
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name" -keyout "$dir/$name.key" -out "$dir/$name.csr" 2>/dev/null
  printf 'subjectAltName=%s,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' "$san" > "$dir/$name.ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 825 \
    -extfile "$dir/$name.ext" -out "$dir/$name.pem" 2>/dev/null
  rm -f "$dir/$name.csr" "$dir/$name.ext"
  echo "$dir/$name.pem $dir/$name.key"
done
chmod 644 "$dir/ca.pem" "$dir"/*.pem
