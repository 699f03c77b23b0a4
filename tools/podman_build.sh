#!/usr/bin/env bash
# Build the service image with podman, where there is no Docker engine and no image registry.
#
#   tools/podman_build.sh [TAG]        (default tag: crnn-ocr; needs root, podman, debootstrap)
#
# 1. tools/podman_base.sh makes debian:bookworm-slim from Debian packages (cached).
# 2. pip inside the build must reach the package index the way this machine's pip does. The
#    host's pip configuration is reduced to what works inside the build (http(s) index URLs,
#    trusted hosts, the CA bundle as /hostpip/ca.crt); local-path settings (find-links,
#    file:// indexes, the constraint file) are dropped because those paths do not exist there.
#    It is mounted at build time only (-v), so nothing of it ends up in the image.
# The Dockerfile itself is unchanged: elsewhere `docker build -t crnn-ocr .` builds it.
set -euo pipefail
cd "$(dirname "$0")/.."

TAG=${1:-crnn-ocr}
PYTHON=${PYTHON:-python3}

tools/podman_base.sh

# The effective value of a pip option: PIP_* environment variable, else pip's config files.
pip_option() {
    local key=$1 env_name
    env_name=PIP_$(echo "$key" | tr 'a-z-' 'A-Z_')
    if [[ -n "${!env_name:-}" ]]; then
        echo "${!env_name}"
    else
        "$PYTHON" -m pip config get "global.$key" 2>/dev/null || true
    fi
}

# Keep only network URLs (drop file:// and plain paths).
network_urls() {
    local url out=()
    for url in $1; do
        [[ "$url" =~ ^https?:// ]] && out+=("$url")
    done
    echo "${out[*]:-}"
}

HOSTPIP=$(mktemp -d /var/tmp/hostpip.XXXXXX)
trap 'rm -rf "$HOSTPIP"' EXIT

cert=$(pip_option cert)
cp "${cert:-/etc/ssl/certs/ca-certificates.crt}" "$HOSTPIP/ca.crt"
index_url=$(network_urls "$(pip_option index-url)")
extra_urls=$(network_urls "$(pip_option extra-index-url)")
trusted=$(pip_option trusted-host)
{
    echo "[global]"
    echo "cert = /hostpip/ca.crt"
    echo "timeout = 180"
    echo "disable-pip-version-check = true"
    if [[ -n "$index_url" ]]; then echo "index-url = $index_url"; fi
    if [[ -n "$extra_urls" ]]; then echo "extra-index-url = $extra_urls"; fi
    if [[ -n "$trusted" ]]; then echo "trusted-host = $trusted"; fi
} >"$HOSTPIP/pip.conf"
chmod -R a+rX "$HOSTPIP"
echo "podman_build: pip.conf for the build:" && sed 's/^/    /' "$HOSTPIP/pip.conf"

# --format docker keeps HEALTHCHECK (the OCI image format has no field for it).
podman build --isolation=chroot --network=host --format docker \
    -v "$HOSTPIP:/hostpip:ro" -v "$HOSTPIP/pip.conf:/etc/pip.conf:ro" \
    -t "$TAG" "${@:2}" .
echo "podman_build: $TAG is $(podman image inspect --format '{{.Size}}' "$TAG") bytes"
