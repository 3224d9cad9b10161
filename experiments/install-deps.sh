#!/bin/sh
# install-deps.sh: install the Debian packages GMS needs, if any are missing.
# Used by `make test`, `make demo`, `make bench` and .ci/run.
set -e

PKGS="build-essential pkg-config libevent-dev uthash-dev libsodium-dev \
libpcap-dev gnuplot-nox jq iproute2 procps tshark tcpdump"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "GMS needs these Debian packages:$missing" >&2
	echo "Install them as root:  sudo apt-get install -y$missing" >&2
	echo "then run make again." >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# tshark's wireshark-common asks whether non-root users may capture: no.
echo "wireshark-common wireshark-common/install-setuid boolean false" |
    debconf-set-selections
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "installed:$missing"
