#!/bin/sh
# The official rabbitmq image's interface for the default user; the rest (RABBITMQ_NODE_PORT,
# RABBITMQ_NODENAME, ERL_EPMD_PORT…) is RabbitMQ's own.
set -eu
mkdir -p /etc/rabbitmq /var/lib/rabbitmq /var/log/rabbitmq
cat >/etc/rabbitmq/rabbitmq.conf <<CONF
default_user = ${RABBITMQ_DEFAULT_USER:-guest}
default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}
log.console = true
log.file = false
CONF
chown -R rabbitmq:rabbitmq /var/lib/rabbitmq /var/log/rabbitmq
exec "$@"
