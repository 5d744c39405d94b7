#!/usr/bin/env bash
# Makes sure PostgreSQL (127.0.0.1:5432) and NATS JetStream (127.0.0.1:4222) are
# up, starting them with the machine's own commands when they are not.
set -uo pipefail

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
wait_port() { for _ in $(seq 1 60); do port_open "$1" "$2" && return 0; sleep 0.5; done; return 1; }

if ! port_open 127.0.0.1 5432; then
  echo "PostgreSQL is down on 127.0.0.1:5432; starting it"
  if [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
fi
wait_port 127.0.0.1 5432 || { echo "PostgreSQL is not reachable on 127.0.0.1:5432 (pg_ctlcluster ... main start failed?)" >&2; exit 1; }
echo "PostgreSQL is up on 127.0.0.1:5432"

if ! port_open 127.0.0.1 4222; then
  echo "NATS is down on 127.0.0.1:4222; starting it with JetStream"
  if [ -x /usr/sbin/nats-server ]; then
    mkdir -p /var/lib/nats-server
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
      -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log || true
  fi
fi
wait_port 127.0.0.1 4222 || { echo "NATS is not reachable on 127.0.0.1:4222 (is nats-server installed?)" >&2; exit 1; }
echo "NATS is up on 127.0.0.1:4222"
