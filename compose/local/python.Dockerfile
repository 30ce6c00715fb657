# Local stand-in for python:3.11-slim (tests only; no registry here): Debian bookworm's Python 3.11 in a venv
# on PATH, so `pip install` and `python` behave as in the official image. host-ca.crt is the build host's CA
# bundle, trusted here too, so pip reaches PyPI from the same network as the host (e.g. behind a TLS proxy).
ARG BASE
FROM ${BASE}
COPY host-ca.crt /usr/local/share/ca-certificates/dinerush-host.crt
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv passwd ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && update-ca-certificates >/dev/null \
 && python3 -m venv /usr/local/python
ENV PATH=/usr/local/python/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt
