// `xdp-recv --check-only`: can this machine run the receiver on this
// interface?  One row per prerequisite; the caller prints the table and
// exits 0 when every row is ok, else 1.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "receive_path.hpp"
#include "xdp_program.hpp"

namespace ebt {

// xdp-recv's exit statuses: 0 done, 1 a test did not complete, 2 bad
// configuration or flags, 3 this machine cannot run the receiver (not root,
// no BTF, interface down, XDP mode unavailable, control port taken).
inline constexpr int kExitEnvironment = 3;

struct CheckRow {
    std::string item;     // e.g. "kernel", "BTF", "capabilities", "interface", "XDP mode"
    bool ok = false;
    std::string detail;   // one line: what was found, or why it failed
};

// Rows, in order:
//   kernel        uname release; ok if >= 5.9 (XDP through bpf_link)
//   BTF           /sys/kernel/btf/vmlinux present (CO-RE)
//   capabilities  effective CAP_NET_ADMIN and (CAP_BPF or CAP_SYS_ADMIN),
//                 from /proc/self/status CapEff
//   interface     exists and is administratively up; driver (ethtool
//                 ETHTOOL_GDRVINFO, which also works for veth), MAC
//   driver        ETHTOOL_GDRVINFO driver name (when the interface exists)
//   queues        RX/TX queue counts (sysfs) and ethtool channels if reported
//   BPF stats     bpf_enable_stats(BPF_STATS_RUN_TIME) works (program cost)
//   XDP mode      loads xdp_recv (test id 0, 1 flow, test packets passed, so
//                 nothing is ever dropped), attaches it in `mode`, reports
//                 the mode the kernel actually used, detaches.  Note: some
//                 drivers reset their rings when XDP is attached/detached,
//                 so the link may blip once.
//   bpf_link      that attach went through a bpf_link
//   native XDP    whether the driver takes native mode (FAIL only when
//                 native was demanded; auto falls back to generic)
//   baseline      UDP sockets as the baseline opens them (SO_REUSEPORT,
//                 SO_TIMESTAMPNS, SO_RXQ_OVFL, bound to a free port on the
//                 wildcard address), and whether arrival maps to CLOCK_TAI
// `served`: the receive modes (--modes).  BPF stats and the three XDP rows
// are xdp's needs, the baseline row baseline's: each only when its mode is
// served.  Never throws for a failing check; the failure is the row.
std::vector<CheckRow> run_system_checks(const std::string& ifname, XdpMode mode,
                                        const std::vector<ReceiveMode>& served = {ReceiveMode::Xdp});

// Aligned table: item | OK/FAIL | detail, one row per line.
void print_check_table(std::ostream& os, const std::vector<CheckRow>& rows);

// True if every row is ok (the caller's exit status: 0 if true, else 1).
bool all_ok(const std::vector<CheckRow>& rows);

// The first failing row that stops the receiver from running (every row but
// "BPF stats", which only costs the program-cost figures), or nullptr.
const CheckRow* first_blocking_failure(const std::vector<CheckRow>& rows);

// The driver name of an interface via ETHTOOL_GDRVINFO ("veth",
// "virtio_net", ...); "" if the interface or the ioctl is unavailable.
std::string interface_driver(const std::string& ifname);

}  // namespace ebt
