# shellcheck shell=sh
# Runs inside a RUN step of the test build: resolve the service by name through the network's DNS
# with busybox's own resolver (nslookup), then fetch the page with nc (Debian's static busybox
# wget crashes in a scratch image: glibc's static resolver needs NSS libraries that are not there).
set -e
# shellcheck disable=SC2016  # awk's $NF, not a shell expansion
ip=$(/bin/busybox nslookup "$1" | /bin/busybox awk '/^Address/ { a = $NF } END { print a }')
[ -n "$ip" ] || { echo "cannot resolve $1"; exit 1; }
echo "$ip" > /resolved
printf 'GET / HTTP/1.0\r\n\r\n' | /bin/busybox nc "$ip" 8080 | /bin/busybox tail -1 > /fetched
