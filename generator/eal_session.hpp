// dpdk-gen's EAL start: the EAL's part of the command line checked and
// completed (eal_args.hpp: -l/-c against the usable CPUs, the af_xdp filter
// for net_af_xdp vdevs without xdp_prog=), rte_eal_init, and
// rte_eal_cleanup on every exit path after a successful init.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ebt {

class EalSession {
public:
    EalSession() = default;
    EalSession(const EalSession&) = delete;
    EalSession& operator=(const EalSession&) = delete;
    ~EalSession();

    // Initialises the EAL from argv and leaves argc/argv at the
    // application's part (after --).  Returns 0, or the exit status (2)
    // after printing the error.
    int init(int& argc, char**& argv);

    // The kernel interface of the one AF_PACKET / AF_XDP vdev (link speed).
    const std::optional<std::string>& kernel_iface() const { return kernel_iface_; }
    // dpdk-gen added its af_xdp filter to some vdev.
    bool filter_supplied() const { return !filter_for_.empty(); }

private:
    bool initialised_ = false;
    std::vector<std::string> filter_for_;
    std::string filter_path_;
    std::optional<std::string> kernel_iface_;
    // The EAL keeps pointers into argv: storage for the whole run.
    std::vector<std::string> storage_;
    std::vector<char*> argv_;
};

// The directory of the running binary ("." when unknown).
std::string exe_dir();

}  // namespace ebt
