#!/bin/sh
# Write the default user into rabbitmq.conf (as the official image does), share the node's Erlang cookie with
# root (the healthcheck and `rabbitmqctl` run as root through docker exec), then exec the server as the
# rabbitmq user (setpriv execs: SIGTERM reaches the node). Epmd and distribution bind 127.0.0.1. The node logs
# to stdout, as the official image's does (RABBITMQ_LOGS=-), so the container log holds what each boot recovered.
set -eu
[ "${1:-rabbitmq-server}" = rabbitmq-server ] || exec "$@"
home=/var/lib/rabbitmq
printf 'default_user = %s\ndefault_pass = %s\nloopback_users = none\n' \
  "${RABBITMQ_DEFAULT_USER:-guest}" "${RABBITMQ_DEFAULT_PASS:-guest}" > /etc/rabbitmq/rabbitmq.conf
if [ ! -s "$home/.erlang.cookie" ]; then
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$home/.erlang.cookie"
  chown rabbitmq:rabbitmq "$home/.erlang.cookie" && chmod 400 "$home/.erlang.cookie"
fi
cp "$home/.erlang.cookie" /root/.erlang.cookie && chmod 400 /root/.erlang.cookie
dist_on_loopback='-kernel inet_dist_use_interface {127,0,0,1}'
export HOME="$home" RABBITMQ_LOGS="${RABBITMQ_LOGS:--}" ERL_EPMD_ADDRESS="${ERL_EPMD_ADDRESS:-127.0.0.1}" \
  RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="${RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS:-$dist_on_loopback}"
exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups /usr/lib/rabbitmq/bin/rabbitmq-server
