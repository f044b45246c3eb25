# Shared set-up for the project's scripts: source it, don't run it.
# Installs what is missing, idempotently, and keeps Cargo's target directory outside the clone.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hauptbuch-zkml/target}"
# The target directory is outside the clone, so substrate-wasm-builder needs to be told where the
# workspace (and its Cargo.lock) is, or it would build the runtime's wasm with unlocked dependencies.
export WASM_BUILD_WORKSPACE_HINT="$ROOT"
export ZKML_CORPUS="${ZKML_CORPUS:-$ROOT/../shared/models/ezkl-examples}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

install_apt_packages() {
  # protobuf-compiler and clang are needed by the node's dependencies (libp2p, bindgen), and
  # OpenSSL's headers by litep2p's WebRTC transport (str0m, through openssl-sys).
  local missing=()
  command -v protoc >/dev/null 2>&1 || missing+=(protobuf-compiler)
  command -v clang >/dev/null 2>&1 || missing+=(clang)
  command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
  command -v cc >/dev/null 2>&1 || missing+=(build-essential)
  [ -f /usr/include/openssl/ssl.h ] || missing+=(libssl-dev)
  apt_install "${missing[@]}"
}

# Installs the named Debian packages (none: nothing to do).
apt_install() {
  [ $# -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "missing $*: install them with apt-get as root"
    sudo="sudo"
  fi
  command -v apt-get >/dev/null 2>&1 || die "missing $* and no apt-get: install them with your package manager"
  say "installing $*"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

install_toolchain() {
  command -v rustup >/dev/null 2>&1 || die "rustup is required: see https://rustup.rs"
  # rust-toolchain.toml pins the toolchain, its components and the wasm targets; `rustup toolchain
  # install` (with no name, it reads that file) installs whatever of them is missing. `rustup show`
  # no longer does since rustup 1.28.
  (cd "$ROOT" && rustup toolchain install >/dev/null 2>&1) || die "rustup could not install the toolchain in rust-toolchain.toml"
}

install_apt_packages
install_toolchain
mkdir -p "$CARGO_TARGET_DIR"
[ -d "$ZKML_CORPUS" ] || die "model corpus not found at $ZKML_CORPUS (set ZKML_CORPUS)"
cd "$ROOT"
