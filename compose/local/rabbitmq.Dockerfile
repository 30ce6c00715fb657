# Local stand-in for rabbitmq:3 (tests only): Debian's RabbitMQ server behind an entrypoint honouring the
# official image's RABBITMQ_DEFAULT_USER / RABBITMQ_DEFAULT_PASS, plus RabbitMQ's own RABBITMQ_NODE_* variables.
ARG BASE
FROM ${BASE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends rabbitmq-server \
 && rm -rf /var/lib/apt/lists/*
COPY rabbitmq-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["rabbitmq-server"]
