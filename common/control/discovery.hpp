// mDNS / DNS-SD discovery through Avahi (network_config.discovery, method
// "mdns").  The receiver advertises a `_ebpf-test._tcp` service on its
// control port; the generator browses for it when no destination IP is given.
//
// Both sides talk to the local avahi-daemon over D-Bus (libavahi-client), so
// the daemon must run on each machine (Debian: avahi-daemon, enabled by
// default).  On the testbed, `tools/testbed.sh mdns-exec src|dst -- CMD`
// starts a private dbus-daemon + avahi-daemon for CMD.
//
// No global state: every Advertiser and every browse() call owns its own
// Avahi client and main loop.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ebt::discovery {

inline constexpr const char* kServiceType = "_ebpf-test._tcp";

// One resolved service instance (IPv4).
struct Found {
    std::string name;       // instance name, e.g. "xdp-recv on host"
    std::string host;       // target host name, e.g. "host.local"
    std::string address;    // IPv4 dotted quad, e.g. "198.18.0.2"
    uint16_t port = 0;
    std::string interface;  // local interface it was seen on, e.g. "eth0"
    std::map<std::string, std::string> txt;  // key=value pairs; a bare key maps to ""
};

// Publishes one service while it lives.  The constructor connects to the
// daemon and throws std::runtime_error ("mDNS discovery needs avahi-daemon
// running: ...") when it is not reachable, std::invalid_argument for a bad
// name, port or TXT key.  Registration itself runs on Avahi's own thread:
// a name collision on the network renames the service ("name #2", ...);
// a daemon restart re-registers it.  The destructor withdraws the service
// (Avahi sends the mDNS goodbye) and frees everything.
class Advertiser {
public:
    Advertiser(const std::string& name, uint16_t port,
               const std::map<std::string, std::string>& txt = {},
               const std::string& service_type = kServiceType);
    ~Advertiser();
    Advertiser(const Advertiser&) = delete;
    Advertiser& operator=(const Advertiser&) = delete;

    // Waits (at most timeout_s) until the daemon reports the service
    // established on the network; false on timeout or failure (see error()).
    bool wait_established(double timeout_s);
    bool established() const;
    // The name actually published (differs from the requested one after a
    // collision).
    std::string name() const;
    // The last failure reported by Avahi ("" if none).
    std::string error() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

struct BrowseOptions {
    std::string service_type = kServiceType;
    std::string name;            // only this instance name ("" = any)
    std::string interface;       // only this interface ("" = all)
    size_t max_results = 0;      // return as soon as this many resolved (0 = collect until the timeout)
    const std::atomic<bool>* stop = nullptr;  // polled at least every 100 ms: true returns early
};

// Browses the local link(s) for the service type and resolves each instance
// to an IPv4 address, returning what was found when the timeout expires (or
// earlier: max_results, *stop).  Never blocks past timeout_s, also not when
// the daemon stops answering.  One entry per (name, address, port), sorted
// by name then address.  Throws std::runtime_error when avahi-daemon is not
// reachable or disconnects during the browse, std::invalid_argument for a
// timeout <= 0 or a bad service type.
std::vector<Found> browse(double timeout_s, const BrowseOptions& options = {});

// The first receiver found (optionally by instance name), or nullopt after
// timeout_s.
std::optional<Found> find_receiver(double timeout_s, const std::string& name = "",
                                   const std::atomic<bool>* stop = nullptr);

// The instance name the receiver uses by default: "xdp-recv on <hostname>".
std::string default_instance_name();

}  // namespace ebt::discovery
