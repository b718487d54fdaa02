# Installs the Debian packages a step needs, only those missing. Sourced by scripts/run and scripts/test.

# Packages to build the programs.
OUTLOUD_BUILD_PACKAGES=(build-essential cmake ninja-build pkg-config libboost-dev libboost-system-dev
  libboost-program-options-dev rapidjson-dev libsqlite3-dev libhiredis-dev libssl-dev libjwt-dev
  libcurl4-openssl-dev)
# More to run every test: Catch2, Node for integration tests, Redis and Chromium started by the tests, nginx for deploy.
OUTLOUD_TEST_PACKAGES=(catch2 redis-server chromium nginx-light sqlite3)

outloud_missing_packages() {
  local package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || echo "$package"
  done
}

outloud_ensure_packages() {
  local missing
  missing=$(outloud_missing_packages "$@")
  if ! command -v node >/dev/null 2>&1; then missing="$missing nodejs npm"; fi
  [ -z "${missing// /}" ] && return 0
  echo "Installing missing packages:" $missing
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
}
