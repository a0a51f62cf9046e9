#!/usr/bin/env bash
# vsftpd with FTPS required and session reuse required, on loopback, for the client's
# interop tests (adapters/cli/tests/tls.rs).
#
#   scripts/vsftpd-tls.sh start   # prints SANSFTP_VSFTPD_TLS=... and the PID on stdout
#   scripts/vsftpd-tls.sh stop PID
#
# Needs root and Debian's vsftpd and openssl. Makes a system user, a throwaway
# self-signed certificate (never committed) and a served root under $STATE.
# Environment: STATE (/tmp/sansftp-vsftpd-tls), PORT (2990), PASV (40100-40199).
set -euo pipefail
STATE="${STATE:-/tmp/sansftp-vsftpd-tls}"
PORT="${PORT:-2990}"
PASV="${PASV:-40100-40199}"
USER_NAME=sansftptls
PASSWORD=sansftp-tls-pw

case "${1:-}" in
stop)
    pid="${2:?stop needs the PID start printed}"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    exit 0
    ;;
start) ;;
*) echo "usage: $0 start | stop PID" >&2; exit 2 ;;
esac

[ "$(id -u)" = 0 ] || { echo "$0: must run as root (system user, PAM)" >&2; exit 1; }
BIN="$(command -v vsftpd || echo /usr/sbin/vsftpd)"
[ -x "$BIN" ] || { echo "$0: vsftpd not found (apt-get install vsftpd)" >&2; exit 1; }
rm -rf "$STATE"
mkdir -p "$STATE/root" "$STATE/home" "$STATE/empty"
if ! id "$USER_NAME" >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir "$STATE/home" --shell /bin/sh "$USER_NAME"
fi
usermod --home "$STATE/home" "$USER_NAME" >/dev/null
echo "$USER_NAME:$PASSWORD" | chpasswd -c SHA512
chown "$USER_NAME" "$STATE/home" "$STATE/root"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$STATE/key.pem" -out "$STATE/cert.pem" >/dev/null 2>&1
cat >"$STATE/vsftpd.conf" <<CONF
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$PORT
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=YES
local_umask=022
local_root=$STATE/root
chroot_local_user=YES
allow_writeable_chroot=YES
pasv_enable=YES
pasv_address=127.0.0.1
pasv_min_port=${PASV%-*}
pasv_max_port=${PASV#*-}
pam_service_name=vsftpd
secure_chroot_dir=$STATE/empty
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
xferlog_enable=NO
syslog_enable=NO
vsftpd_log_file=$STATE/vsftpd.log
ssl_enable=YES
force_local_logins_ssl=YES
force_local_data_ssl=YES
require_ssl_reuse=YES
ssl_tlsv1=NO
ssl_sslv2=NO
ssl_sslv3=NO
rsa_cert_file=$STATE/cert.pem
rsa_private_key_file=$STATE/key.pem
CONF
setsid "$BIN" "$STATE/vsftpd.conf" >"$STATE/log" 2>&1 </dev/null &
pid=$!
for _ in $(seq 100); do
    if (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null; then
        echo "SANSFTP_VSFTPD_TLS=127.0.0.1:$PORT,$USER_NAME,$PASSWORD,$STATE/cert.pem,$STATE/root"
        echo "$pid"
        exit 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
echo "$0: vsftpd did not start; its log:" >&2
cat "$STATE/log" "$STATE/vsftpd.log" >&2 2>/dev/null || true
kill "$pid" 2>/dev/null || true
exit 1
