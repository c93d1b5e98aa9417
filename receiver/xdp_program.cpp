// See xdp_program.hpp.
#include "xdp_program.hpp"

#include "histogram.hpp"
#include "log.hpp"

#include <algorithm>
#include <cstdarg>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <mutex>

#include <linux/if_link.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "xdp_recv.skel.h"

namespace ebt {

namespace detail {
void destroy_skeleton(xdp_recv* skel) noexcept { xdp_recv__destroy(skel); }
}  // namespace detail

namespace {

std::string errstr(int err) {
    if (err < 0) err = -err;
    return std::strerror(err);
}

[[noreturn]] void fail(const std::string& what, int err) {
    throw XdpError(what + ": " + errstr(err));
}

const char* attach_mode_name(uint8_t mode) {
    switch (mode) {
    case XDP_ATTACHED_DRV: return "native";
    case XDP_ATTACHED_SKB: return "generic";
    case XDP_ATTACHED_HW: return "offload";
    case XDP_ATTACHED_MULTI: return "multi";
    default: return "none";
    }
}

// Per-CPU array values are copied out as ncpus slots of round_up(size, 8).
template <typename V>
constexpr size_t percpu_stride() {
    return (sizeof(V) + 7) / 8 * 8;
}
static_assert(percpu_stride<ebt_cpu_counters>() == sizeof(ebt_cpu_counters));
static_assert(percpu_stride<ebt_latency>() == sizeof(ebt_latency));
static_assert(percpu_stride<ebt_count>() == sizeof(ebt_count));
static_assert(sizeof(ebt_tuple) == 40);
// Plain array value with a spin lock: no hidden padding on either side, and
// the user-space stand-in for the lock laid out like the kernel's.
static_assert(sizeof(ebt_user_spin_lock) == sizeof(bpf_spin_lock));
static_assert(alignof(ebt_user_spin_lock) == alignof(bpf_spin_lock));
static_assert(sizeof(ebt_flow_state) == 8 + 10 * 8);
static_assert(offsetof(ebt_flow_state, packets) == 8);

// libbpf's own messages (a failed BTF load prints several lines) go to the
// log as Debug lines, so a user sees our one clear error line on stderr and
// the details stay in the log file (and on stderr with --verbose).
int libbpf_to_log(enum libbpf_print_level level, const char* format, va_list args) {
    char line[512];
    const int n = std::vsnprintf(line, sizeof line, format, args);
    if (n < 0) return 0;
    std::string_view text(line, std::min<size_t>(static_cast<size_t>(n), sizeof line - 1));
    while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    if (level != LIBBPF_DEBUG && !text.empty()) log::debug("libbpf: " + std::string(text));
    return n;
}

}  // namespace

const char* to_string(TestAction a) { return a == TestAction::Pass ? "pass" : a == TestAction::Tx ? "tx" : "drop"; }

const char* to_string(XdpMode mode) {
    return mode == XdpMode::Native ? "native" : mode == XdpMode::Generic ? "generic" : "auto";
}

// ---------------------------------------------------------------- XdpProgram

XdpProgram::XdpProgram(const XdpProgramConfig& cfg) : cfg_(cfg) {
    static std::once_flag routed;
    std::call_once(routed, [] { libbpf_set_print(libbpf_to_log); });
    if (cfg.flows < 1 || cfg.flows > EBT_MAX_FLOWS)
        throw XdpError("XDP program: flows must be 1.." + std::to_string(EBT_MAX_FLOWS) +
                       ", got " + std::to_string(cfg.flows));

    ncpus_ = libbpf_num_possible_cpus();
    if (ncpus_ <= 0) fail("XDP program: cannot count possible CPUs", ncpus_);

    skel_.reset(xdp_recv::open());
    if (!skel_) fail("XDP program: opening the BPF skeleton failed", errno);

    skel_->rodata->cfg_test_id = cfg.test_id;
    skel_->rodata->cfg_flows = cfg.flows;
    skel_->rodata->cfg_any_test_id = cfg.any_test_id ? 1 : 0;
    skel_->rodata->cfg_test_action = cfg.action == TestAction::Tx     ? XDP_TX
                                     : cfg.action == TestAction::Pass ? XDP_PASS
                                                                      : XDP_DROP;
    skel_->rodata->cfg_epoch_tai_ns = cfg.epoch_tai_ns;
    skel_->rodata->cfg_foreign_tuples = cfg.foreign_tuples;
    skel_->rodata->cfg_foreign_drop = cfg.foreign_drop ? 1 : 0;
    if (int err = bpf_map__set_max_entries(skel_->maps.ebt_foreign, std::max<uint32_t>(cfg.foreign_tuples, 1)))
        fail("XDP program: sizing ebt_foreign to " + std::to_string(cfg.foreign_tuples) + " entries", err);
    skel_->rodata->cfg_clock_offset_ns = cfg.clock_offset_ns;

    if (int err = bpf_map__set_max_entries(skel_->maps.ebt_flow_stats, cfg.flows))
        fail("XDP program: sizing ebt_flow_stats to " + std::to_string(cfg.flows) + " entries",
             err);

    if (int err = xdp_recv::load(skel_.get()))
        fail("XDP program: loading into the kernel failed (root or CAP_BPF+CAP_NET_ADMIN "
             "needed; libbpf printed the verifier log above if any)",
             err);
}

int XdpProgram::prog_fd() const {
    return skel_ ? bpf_program__fd(skel_->progs.xdp_recv_prog) : -1;
}

uint32_t XdpProgram::prog_id() const {
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    if (int err = bpf_obj_get_info_by_fd(prog_fd(), &info, &len))
        fail("XDP program: querying program info", err);
    return info.id;
}

CpuTotals XdpProgram::read_totals() const {
    std::vector<ebt_cpu_counters> per_cpu(static_cast<size_t>(ncpus_));
    uint32_t key = 0;
    if (int err = bpf_map__lookup_elem(skel_->maps.ebt_cpu_stats, &key, sizeof(key),
                                       per_cpu.data(), per_cpu.size() * sizeof(ebt_cpu_counters),
                                       0))
        fail("XDP program: reading ebt_cpu_stats", err);
    CpuTotals t{};
    for (const auto& c : per_cpu) {
        t.rx_packets += c.rx_packets;
        t.rx_bytes += c.rx_bytes;
        t.test_packets += c.test_packets;
        t.test_bytes += c.test_bytes;
        t.other_packets += c.other_packets;
        t.other_bytes += c.other_bytes;
        t.stale_packets += c.stale_packets;
        t.bad_flow_packets += c.bad_flow_packets;
        t.foreign_overflow_packets += c.foreign_overflow_packets;
        t.foreign_overflow_bytes += c.foreign_overflow_bytes;
    }
    return t;
}

LatencyTotals XdpProgram::read_latency() const {
    std::vector<ebt_latency> per_cpu(static_cast<size_t>(ncpus_));
    uint32_t key = 0;
    if (int err = bpf_map__lookup_elem(skel_->maps.ebt_latency_stats, &key, sizeof(key),
                                       per_cpu.data(), per_cpu.size() * sizeof(ebt_latency), 0))
        fail("XDP program: reading ebt_latency_stats", err);
    LatencyTotals t{};
    for (const auto& c : per_cpu) merge_histogram(t, c);
    return t;
}

std::vector<ForeignTupleCount> XdpProgram::read_foreign() const {
    std::vector<ForeignTupleCount> out;
    if (cfg_.foreign_tuples == 0) return out;
    const int fd = bpf_map__fd(skel_->maps.ebt_foreign);
    std::vector<ebt_count> per_cpu(static_cast<size_t>(ncpus_));
    ebt_tuple key{}, next{};
    bool first = true;
    // Walk the keys; a key deleted meanwhile cannot happen (only reset deletes).
    while (bpf_map_get_next_key(fd, first ? nullptr : &key, &next) == 0) {
        first = false;
        key = next;
        if (bpf_map_lookup_elem(fd, &key, per_cpu.data()) != 0) {
            if (errno == ENOENT) continue;
            fail("XDP program: reading ebt_foreign", errno);
        }
        ForeignTupleCount c;
        c.tuple = key;
        for (const auto& v : per_cpu) {
            c.packets += v.packets;
            c.bytes += v.bytes;
        }
        out.push_back(c);
    }
    if (errno != ENOENT) fail("XDP program: walking ebt_foreign", errno);
    return out;
}

ProgRunStats XdpProgram::read_run_stats() const {
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    if (int err = bpf_obj_get_info_by_fd(prog_fd(), &info, &len))
        fail("XDP program: querying run-time stats", err);
    return {info.run_cnt, info.run_time_ns};
}

std::vector<ebt_flow_state> XdpProgram::read_flows() const {
    const uint32_t flows = cfg_.flows;
    const int fd = bpf_map__fd(skel_->maps.ebt_flow_stats);
    std::vector<uint32_t> keys(flows);
    std::vector<ebt_flow_state> values(flows);

    // Batch lookup with BPF_F_LOCK (each value copied under its spin lock);
    // fall back to one locked lookup per key if the kernel refuses the batch.
    LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_F_LOCK);
    uint32_t done = 0;
    uint32_t out_batch = 0;
    bool first = true;
    while (done < flows) {
        uint32_t count = flows - done;
        int err = bpf_map_lookup_batch(fd, first ? nullptr : &out_batch, &out_batch,
                                       keys.data() + done, values.data() + done, &count, &opts);
        int e = err ? errno : 0;
        if (err && e != ENOENT) {
            if (first && (e == EINVAL || e == EOPNOTSUPP)) {
                done = 0;
                break;
            }
            fail("XDP program: batch-reading ebt_flow_stats", e);
        }
        done += count;
        first = false;
        if (e == ENOENT) break;   // end of map
    }
    for (uint32_t k = done; k < flows; ++k) {   // fallback (or a short batch read)
        keys[k] = k;
        if (bpf_map_lookup_elem_flags(fd, &k, &values[k], BPF_F_LOCK))
            fail("XDP program: reading ebt_flow_stats[" + std::to_string(k) + "]", errno);
    }

    std::vector<ebt_flow_state> out(flows);
    for (uint32_t i = 0; i < flows; ++i) {
        const uint32_t flow = keys[i];
        if (flow >= flows) continue;
        out[flow] = values[i];
        out[flow].lock = {};
    }
    return out;
}

void XdpProgram::reset_counters() {
    const size_t ncpus = static_cast<size_t>(ncpus_);
    std::vector<ebt_cpu_counters> zero_cpu(ncpus);
    uint32_t key = 0;
    if (int err = bpf_map__update_elem(skel_->maps.ebt_cpu_stats, &key, sizeof(key),
                                       zero_cpu.data(), zero_cpu.size() * sizeof(ebt_cpu_counters),
                                       BPF_ANY))
        fail("XDP program: zeroing ebt_cpu_stats", err);
    std::vector<ebt_latency> zero_lat(ncpus);
    if (int err = bpf_map__update_elem(skel_->maps.ebt_latency_stats, &key, sizeof(key),
                                       zero_lat.data(), zero_lat.size() * sizeof(ebt_latency),
                                       BPF_ANY))
        fail("XDP program: zeroing ebt_latency_stats", err);
    if (cfg_.foreign_tuples > 0) {
        const int ffd = bpf_map__fd(skel_->maps.ebt_foreign);
        ebt_tuple k{};
        while (bpf_map_get_next_key(ffd, nullptr, &k) == 0)
            if (bpf_map_delete_elem(ffd, &k) != 0 && errno != ENOENT)
                fail("XDP program: clearing ebt_foreign", errno);
    }

    // One locked batch update for the whole flow map; per-key fallback.
    const uint32_t flows = cfg_.flows;
    const int fd = bpf_map__fd(skel_->maps.ebt_flow_stats);
    std::vector<uint32_t> keys(flows);
    for (uint32_t k = 0; k < flows; ++k) keys[k] = k;
    std::vector<ebt_flow_state> zeros(flows);
    LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_F_LOCK);
    uint32_t count = flows;
    if (bpf_map_update_batch(fd, keys.data(), zeros.data(), &count, &opts) == 0 &&
        count == flows)
        return;

    const ebt_flow_state zero{};
    for (uint32_t k = 0; k < flows; ++k) {
        if (bpf_map_update_elem(fd, &k, &zero, BPF_ANY | BPF_F_LOCK))
            fail("XDP program: zeroing ebt_flow_stats[" + std::to_string(k) + "]", errno);
    }
}

// ------------------------------------------------------------- XdpAttachment

XdpAttachment::XdpAttachment(const XdpProgram& prog, const std::string& ifname, XdpMode mode)
    : ifname_(ifname) {
    ifindex_ = static_cast<int>(if_nametoindex(ifname.c_str()));
    if (ifindex_ == 0) fail("XDP attach: interface '" + ifname + "' not found", errno);

    // Refuse to fight over the interface: name whoever is there.
    {
        LIBBPF_OPTS(bpf_xdp_query_opts, q);
        if (bpf_xdp_query(ifindex_, 0, &q) == 0 && q.prog_id != 0)
            throw XdpError("XDP attach: interface '" + ifname +
                           "' already has an XDP program (prog id " + std::to_string(q.prog_id) +
                           ", " + attach_mode_name(q.attach_mode) +
                           " mode); remove it first, e.g. `ip link set dev " + ifname +
                           " xdp off`, or find its owner with `bpftool net`");
    }

    uint32_t flags = 0;
    if (mode == XdpMode::Native) flags = XDP_FLAGS_DRV_MODE;
    if (mode == XdpMode::Generic) flags = XDP_FLAGS_SKB_MODE;
    LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags);
    int link_fd = bpf_link_create(prog.prog_fd(), ifindex_, BPF_XDP, &opts);
    if (link_fd < 0) {
        int e = errno;
        std::string hint;
        if (e == EBUSY || e == EEXIST)
            hint = " (another XDP program is attached to it)";
        else if (e == EOPNOTSUPP && mode == XdpMode::Native)
            hint = " (driver has no native XDP support; try generic mode)";
        else if (e == EPERM)
            hint = " (needs root or CAP_NET_ADMIN)";
        fail("XDP attach: attaching to '" + ifname + "' in " + to_string(mode) + " mode failed" +
                 hint,
             e);
    }
    link_fd_ = UniqueFd(link_fd);

    LIBBPF_OPTS(bpf_xdp_query_opts, q);
    if (int err = bpf_xdp_query(ifindex_, 0, &q))
        fail("XDP attach: querying XDP state of '" + ifname + "'", err);
    const uint32_t id = prog.prog_id();
    if (q.drv_prog_id == id)
        mode_used_ = "native";
    else if (q.skb_prog_id == id)
        mode_used_ = "generic";
    else if (q.hw_prog_id == id)
        mode_used_ = "offload";
    else
        throw XdpError("XDP attach: program attached to '" + ifname +
                       "' but the kernel reports another program (id " +
                       std::to_string(q.prog_id) + ") there");
}

// ------------------------------------------------------------------- helpers

std::string interface_mac(const std::string& ifname) {
    if (ifname.empty() || ifname.size() >= IFNAMSIZ)
        throw XdpError("interface MAC: invalid interface name '" + ifname + "'");
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) fail("interface MAC: socket", errno);
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, ifname.c_str(), ifname.size());
    int rc = ioctl(fd, SIOCGIFHWADDR, &ifr);
    int e = errno;
    close(fd);
    if (rc < 0) fail("interface MAC: SIOCGIFHWADDR on '" + ifname + "'", e);
    const auto* b = reinterpret_cast<const unsigned char*>(ifr.ifr_hwaddr.sa_data);
    char buf[18];
    std::snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4],
                  b[5]);
    return buf;
}

}  // namespace ebt
