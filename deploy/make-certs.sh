#!/usr/bin/env bash
# Run once by the compose stack's "certs" service: a private CA for this stack and a server
# certificate for each of PostgreSQL ("postgres") and Redis ("redis"), so the app's connections are
# TLS with the server checked (sslmode=verify-full, rediss://), as NODE_ENV=production requires.
# Kept in the "tls" volume; existing files are left alone. Delete the volume to issue new ones.
set -euo pipefail
cd /tls
if [ -f ca.crt ] && [ -f postgres/server.key ] && [ -f redis/server.key ]; then
  echo "certs: already issued"; exit 0
fi
umask 077
openssl req -x509 -newkey rsa:3072 -nodes -days 3650 -subj "/CN=rj-referrals stack CA" -keyout ca.key -out ca.crt
for host in postgres redis; do
  mkdir -p "$host"
  openssl req -newkey rsa:3072 -nodes -subj "/CN=$host" -keyout "$host/server.key" -out "$host/server.csr"
  printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$host" > "$host/ext.cnf"
  openssl x509 -req -in "$host/server.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 -extfile "$host/ext.cnf" -out "$host/server.crt"
  rm "$host/server.csr" "$host/ext.cnf"
  # Both images run their server as uid 999; each key is readable by its server only.
  chown -R 999:999 "$host"
  chmod 600 "$host/server.key"
  chmod 644 "$host/server.crt"
  chmod 755 "$host"
done
# The CA's key is not needed again; the apps need only its certificate.
rm ca.key
chmod 644 ca.crt
chmod 755 /tls
echo "certs: issued for postgres and redis"
