#!/usr/bin/env bash
# The one list of Debian 12 packages eBPF-Test needs to build, test and run.
# Idempotent: runs `apt-get update` once and installs only what is missing.
# Usage: tools/deps.sh [--print]   (--print lists the packages and exits)
set -euo pipefail

PACKAGES=(
  # build
  meson ninja-build pkg-config g++ clang llvm
  # DPDK 22.11 (libraries and headers; dpdk brings dpdk-testpmd for benchmarks)
  dpdk-dev libdpdk-dev dpdk
  # BPF: libbpf, bpftool (skeletons, vmlinux.h), libelf/zlib for libbpf
  libbpf-dev bpftool libelf-dev zlib1g-dev
  # C++ libraries: Boost 1.81 (Asio, JSON, Beast), yaml-cpp, GoogleTest
  libboost1.81-dev libboost-json1.81-dev libyaml-cpp-dev libgtest-dev
  # testbed: ip netns / veth
  iproute2
  # tests: libpcap reads net_pcap captures; python3-jsonschema validates
  # results.json against its schema (reasons in ARCHITECTURE.md)
  libpcap-dev python3 python3-jsonschema
  # tests: strace injects SIGKILL and write faults into the results write
  strace
  # plots (tools/plot/): gnuplot without X11, with the svg and pngcairo terminals
  gnuplot-nox
  # reliability gates (tools/test.sh): libFuzzer and clang's ASan/UBSan runtimes
  # for the fuzz build (clang 14); clang-tidy for tools/tidy.sh
  libclang-rt-14-dev clang-tidy
  # control protocol: OpenSSL libcrypto for HMAC-SHA256; promtool checks /metrics
  libssl-dev prometheus
  # mDNS discovery (network_config.discovery): libavahi-client talks to
  # avahi-daemon over the D-Bus system bus; the testbed runs a private dbus +
  # avahi-daemon per namespace; avahi-browse checks them in the tests
  avahi-daemon libavahi-client-dev dbus avahi-utils
)

if [[ "${1:-}" == "--print" ]]; then
  printf '%s\n' "${PACKAGES[@]}"
  exit 0
fi

if [[ $EUID -ne 0 ]]; then
  echo "tools/deps.sh: must run as root (it installs Debian packages)" >&2
  exit 2
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
