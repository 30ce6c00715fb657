# Local stand-in for ghcr.io/shopify/toxiproxy:2.12.0 (tests only): the Go build of .tools/bin at the same
# paths as in the official image (/toxiproxy, /toxiproxy-cli).
ARG BASE
FROM ${BASE}
COPY toxiproxy-server /toxiproxy
COPY toxiproxy-cli /toxiproxy-cli
ENTRYPOINT ["/toxiproxy"]
CMD ["-host=0.0.0.0"]
