#include "eal_session.hpp"

#include <filesystem>
#include <iostream>
#include <set>

#include <sched.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "eal_args.hpp"
#include "log.hpp"

namespace ebt {

namespace {
std::set<unsigned> allowed_cpus() {
    std::set<unsigned> out;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return out;  // unknown: no check
    for (unsigned c = 0; c < CPU_SETSIZE; ++c)
        if (CPU_ISSET(c, &set)) out.insert(c);
    return out;
}
}  // namespace

std::string exe_dir() {
    std::error_code ec;
    const auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::string(".") : p.parent_path().string();
}

EalSession::~EalSession() {
    if (initialised_) rte_eal_cleanup();
}

int EalSession::init(int& argc, char**& argv) {
    std::vector<std::string> eal_in(argv, argv + argc);
    if (const auto err = check_lcore_cpus(eal_in, allowed_cpus())) {
        std::cerr << "dpdk-gen: error: " << *err << "\n";
        return 2;
    }
    // net_af_xdp without xdp_prog=: our filter, so the kernel keeps the
    // control connection and ARP.
    if (af_xdp_without_filter(eal_in)) {
        if (const auto f = find_xsk_filter(exe_dir())) {
            filter_path_ = *f;
            eal_in = with_af_xdp_filter(eal_in, filter_path_, filter_for_);
        }
    }
    const bool af_xdp_unfiltered = af_xdp_without_filter(eal_in);
    kernel_iface_ = kernel_iface_of_vdev(eal_in);
    storage_ = std::move(eal_in);
    for (auto& a : storage_) argv_.push_back(a.data());
    argv_.push_back(nullptr);
    argc = static_cast<int>(storage_.size());
    argv = argv_.data();
    const int eal_args = rte_eal_init(argc, argv);
    if (eal_args < 0) {
        std::cerr << "dpdk-gen: error: EAL initialisation failed: " << rte_strerror(rte_errno)
                  << " (check the EAL options before --)\n";
        return 2;
    }
    initialised_ = true;
    argc -= eal_args;
    argv += eal_args;
    for (const auto& v : filter_for_)
        log::info(v + ": no xdp_prog= given, so dpdk-gen loads its filter " + filter_path_ +
                  " (only reflected test packets go to the AF_XDP socket; ARP and the control "
                  "connection stay with the kernel)");
    if (af_xdp_unfiltered)
        log::warn(std::string("net_af_xdp without xdp_prog= and no ") + kXskFilterName +
                  " found: the PMD's default program takes every frame of its queue, the control "
                  "connection included");
    return 0;
}

}  // namespace ebt
