// What dpdk-gen does with the EAL's part of its command line before
// rte_eal_init() sees it.  Pure functions over the argument list (no DPDK),
// so they are unit-tested without an EAL.
//  - net_af_xdp without xdp_prog=: the PMD's default XDP program redirects
//    every frame of its queue to the AF_XDP socket, the control connection
//    and ARP included, so dpdk-gen supplies its filter program
//    (xsk_reflected.bpf.o: only reflected test packets go to the socket).
//  - -l / -c naming CPUs this process may not run on: EAL would print its
//    whole usage; one line naming the CPU and the --lcores remedy instead.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ebt {

inline constexpr const char* kXskFilterName = "xsk_reflected.bpf.o";

// args (argv of the EAL part, argv[0] included) with ",xdp_prog=<filter>"
// added to every net_af_xdp vdev that has no xdp_prog=.  `supplied` lists
// the vdev names it was added to.
std::vector<std::string> with_af_xdp_filter(const std::vector<std::string>& args, const std::string& filter,
                                            std::vector<std::string>& supplied);

// True when some net_af_xdp vdev in args has no xdp_prog= (and so would get
// the PMD's default program).
bool af_xdp_without_filter(const std::vector<std::string>& args);

// The first error in -l LIST / -c MASK against the CPUs this process may
// run on, as one line, or nullopt.  --lcores is left to the EAL (it may map
// several lcores onto one CPU on purpose).
std::optional<std::string> check_lcore_cpus(const std::vector<std::string>& args, const std::set<unsigned>& allowed);

// "0-1" or "0,2-3" for a set of CPUs.
std::string cpu_list_text(const std::set<unsigned>& cpus);

// The kernel interface (iface=) of the one AF_PACKET or AF_XDP vdev in
// args, if there is exactly one vdev and it is one of those: its link
// speed is the kernel's, while those PMDs report a fixed 10 Gbit/s.
std::optional<std::string> kernel_iface_of_vdev(const std::vector<std::string>& args);

// Where dpdk-gen finds the filter program: beside the binary (exe_dir), the
// build tree's bpf/ (exe_dir/../bpf), or the installed data directory
// (exe_dir/../share/ebpf-test/bpf); nullopt when none exists.
std::optional<std::string> find_xsk_filter(const std::string& exe_dir);

}  // namespace ebt
