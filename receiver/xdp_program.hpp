// RAII ownership of the receiver's XDP program (bpf/xdp_recv.bpf.c) and of
// its attachment to an interface.
//
// Lifecycle (libbpf-bootstrap): XdpProgram's constructor opens the generated
// skeleton, writes the .rodata config, sizes the per-flow map and loads the
// program; its destructor destroys the skeleton (programs and maps go away
// with the last fd).  XdpAttachment owns a bpf_link (created with
// bpf_link_create so the mode flags can be passed; libbpf 1.1's
// bpf_program__attach_xdp takes none), held as its fd: the program stays on
// the interface exactly as long as the XdpAttachment lives, and the kernel
// detaches it by itself if the process dies (links are never pinned here).
//
// Also here: interface_mac(), the interface's MAC address for the receiver's
// ready message.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <linux/types.h>

#include "ebpf_test_shared.h"
#include "unique_fd.hpp"

struct xdp_recv;   // generated skeleton (build/bpf/xdp_recv.skel.h)

namespace ebt {

// Any failure to open/load/attach/query/read the XDP program.  what() is one
// line naming the step, the interface if any, and strerror of the errno.
class XdpError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Small RAII holder in the style of Katran's: a unique_ptr whose deleter is
// the C library's destroy function (its return value, if any, is ignored).
template <typename T, auto Destroy>
struct CDeleter {
    void operator()(T* p) const noexcept {
        if (p) (void)Destroy(p);
    }
};
template <typename T, auto Destroy>
using CUniquePtr = std::unique_ptr<T, CDeleter<T, Destroy>>;

namespace detail {
void destroy_skeleton(xdp_recv* skel) noexcept;   // xdp_recv__destroy
}

// What the program does with a valid test packet after counting it.
enum class TestAction { Drop, Pass, Tx };
const char* to_string(TestAction a);   // "drop" / "pass" / "tx"

struct XdpProgramConfig {
    uint16_t test_id = 0;
    uint32_t flows = 1;               // 1..EBT_MAX_FLOWS; sizes ebt_flow_stats
    TestAction action = TestAction::Drop;   // tx: reflected back (XDP_TX)
    bool any_test_id = false;         // standalone: packets of every test id count
    uint64_t epoch_tai_ns = 0;        // the test epoch; 0 = unknown: no latency
    int64_t clock_offset_ns = 0;      // receiver clock - generator clock
    int64_t clock_uncertainty_ns = -1;   // its bound; -1 = not synchronised (reported only)
    uint32_t foreign_tuples = 0;      // standalone: foreign packets by 5-tuple, up to this many (0 = off)
    bool foreign_drop = false;        // with foreign_tuples: drop them instead of passing
};

// One foreign 5-tuple's counts, summed over CPUs.
struct ForeignTupleCount {
    ebt_tuple tuple{};
    uint64_t packets = 0;
    uint64_t bytes = 0;
};

enum class XdpMode { Auto, Native, Generic };

// "auto" / "native" / "generic".
const char* to_string(XdpMode mode);

// ebt_cpu_counters summed over all possible CPUs: the same layout as the
// per-CPU map value, so the counter list exists once (the shared header).
using CpuTotals = ebt_cpu_counters;

// ebt_latency summed over all possible CPUs (min/max merged).
using LatencyTotals = ebt_latency;

// The program's kernel run-time statistics (bpf_prog_info): cumulative since
// load, counted only while BPF_STATS_RUN_TIME is enabled (BpfStatsEnabler).
struct ProgRunStats {
    uint64_t run_cnt = 0;
    uint64_t run_time_ns = 0;
};

// The loaded (not yet attached) program and its maps.  Movable, not copyable.
class XdpProgram {
public:

    // Opens the skeleton, sets cfg_test_id/cfg_flows/cfg_test_action and
    // max_entries of ebt_flow_stats (= flows), loads.  Throws XdpError (also
    // for flows outside 1..EBT_MAX_FLOWS).
    explicit XdpProgram(const XdpProgramConfig& cfg);
    ~XdpProgram() = default;
    XdpProgram(XdpProgram&&) noexcept = default;
    XdpProgram& operator=(XdpProgram&&) noexcept = default;
    XdpProgram(const XdpProgram&) = delete;
    XdpProgram& operator=(const XdpProgram&) = delete;

    int prog_fd() const;                      // -1 if moved from
    uint32_t prog_id() const;                 // kernel id of the loaded program
    const XdpProgramConfig& config() const { return cfg_; }

    CpuTotals read_totals() const;            // throws XdpError
    LatencyTotals read_latency() const;       // throws XdpError
    ProgRunStats read_run_stats() const;      // throws XdpError
    // The foreign tuples counted so far (standalone), any order.  Throws XdpError.
    std::vector<ForeignTupleCount> read_foreign() const;
    // The per-flow state (packets, bytes, sequence accounting: see
    // ebt_flow_state in ebpf_test_shared.h); index = flow id; size() ==
    // config().flows; lock is 0.  Each flow is copied under its spin lock
    // (BPF_F_LOCK), so its fields are consistent with one another; flows are
    // not a snapshot of one instant.  One batch syscall where the kernel
    // supports it, else one lookup per flow.  Throws XdpError.
    std::vector<ebt_flow_state> read_flows() const;
    // Zeroes all maps (flows under their locks, BPF_F_LOCK).  Packets counted
    // concurrently while the zeroing runs may be lost or leave a flow
    // half-started; reset before traffic starts.  Throws XdpError.
    void reset_counters();

private:
    CUniquePtr<xdp_recv, &detail::destroy_skeleton> skel_;
    XdpProgramConfig cfg_;
    int ncpus_ = 0;
};

// The program attached to one interface through a bpf_link.  Movable, not
// copyable; the destructor detaches.
class XdpAttachment {
public:
    // Auto: flags 0 (the kernel takes native when the driver has it, else
    // generic); Native: XDP_FLAGS_DRV_MODE; Generic: XDP_FLAGS_SKB_MODE.
    // Throws XdpError naming the interface when it does not exist, already
    // has an XDP program (with that program's id and mode), or the driver
    // refuses the mode.
    XdpAttachment(const XdpProgram& prog, const std::string& ifname, XdpMode mode);
    ~XdpAttachment() = default;
    XdpAttachment(XdpAttachment&&) noexcept = default;
    XdpAttachment& operator=(XdpAttachment&&) noexcept = default;
    XdpAttachment(const XdpAttachment&) = delete;
    XdpAttachment& operator=(const XdpAttachment&) = delete;

    // "native", "generic" or "offload": asked of the kernel (bpf_xdp_query)
    // right after attaching, not assumed from the requested mode.
    std::string mode_used() const { return mode_used_; }
    int ifindex() const { return ifindex_; }
    const std::string& ifname() const { return ifname_; }

private:
    UniqueFd link_fd_;   // the bpf_link; closing the last fd detaches
    std::string ifname_;
    int ifindex_ = 0;
    std::string mode_used_;
};

// The interface's MAC address as "aa:bb:cc:dd:ee:ff" (lowercase), from
// ioctl(SIOCGIFHWADDR).  Throws XdpError if the interface does not exist.
std::string interface_mac(const std::string& ifname);

}  // namespace ebt
