#!/usr/bin/env bash
# Install what is missing for dinerush on Debian, and nothing more; a second run installs nothing.
#   - Debian: postgresql, rabbitmq-server (non-interactive, needs root)
#   - Toxiproxy 2.12.0 built with Go into .tools/bin/{toxiproxy-server,toxiproxy-cli}
#   - .venv with dinerush installed editable with its dev extras
#   - docker.io and debootstrap for the compose tests (scripts/setup_docker.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
TOXIPROXY_VERSION=v2.12.0
PY=${PYTHON:-python3}
die() { echo "setup: $*" >&2; exit 1; }
did=()

have_initdb() { command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }
have_rabbit() { command -v rabbitmq-server >/dev/null 2>&1 || [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; }

missing=()
have_initdb || missing+=(postgresql)
have_rabbit || missing+=(rabbitmq-server)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing ${missing[*]}: run 'sudo apt-get install -y ${missing[*]}' (or run make as root)"
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get: install them with your package manager"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d keeps the distribution's own services from starting: dinerush runs private instances.
  apt-get install -y -qq -o Dpkg::Options::=--force-confold "${missing[@]}" >/dev/null
  did+=("apt: ${missing[*]}")
fi

if [ ! -x .tools/bin/toxiproxy-server ] || [ ! -x .tools/bin/toxiproxy-cli ]; then
  command -v go >/dev/null || die "Toxiproxy is built with Go: install Go 1.22+ (https://go.dev/doc/install, or 'apt-get install golang'), then rerun"
  mkdir -p .tools/gobin .tools/bin
  GOBIN="$PWD/.tools/gobin" go install "github.com/Shopify/toxiproxy/v2/cmd/server@${TOXIPROXY_VERSION}" \
    || die "go install of Toxiproxy ${TOXIPROXY_VERSION} failed (see above): check access to the Go module proxy"
  GOBIN="$PWD/.tools/gobin" go install "github.com/Shopify/toxiproxy/v2/cmd/cli@${TOXIPROXY_VERSION}" \
    || die "go install of toxiproxy-cli ${TOXIPROXY_VERSION} failed (see above)"
  cp .tools/gobin/server .tools/bin/toxiproxy-server
  cp .tools/gobin/cli .tools/bin/toxiproxy-cli
  did+=("toxiproxy ${TOXIPROXY_VERSION}")
fi

stamp=.venv/.dinerush-setup
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "Python 3.11+ is needed: set PYTHON=/path/to/python3.11"
  [ -x .venv/bin/python ] || "$PY" -m venv .venv || die "could not create .venv: install python3-venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  echo "$want" > "$stamp"
  did+=(".venv")
fi

bash scripts/setup_docker.sh || die "the compose tests' tools (see above)"

if [ ${#did[@]} -gt 0 ]; then echo "setup: installed ${did[*]}"; else echo "setup: nothing to install"; fi
