// See receive_path.hpp.
#include "receive_path.hpp"

#include <optional>

#include "baseline_receiver.hpp"
#include "bpf_stats.hpp"
#include "latency_summary.hpp"
#include "log.hpp"
#include "xdp_report.hpp"

namespace ebt {

const char* to_string(ReceiveMode m) { return m == ReceiveMode::Baseline ? "baseline" : "xdp"; }

namespace {

// The XDP program attached for the test; program cost from the BPF run-time
// stats, on from start() until this path is destroyed.
class XdpPath final : public ReceivePath {
public:
    explicit XdpPath(const ReceivePathConfig& cfg) : requested_(cfg.xdp_mode) {
        program_.emplace(cfg.counting);
        attachment_.emplace(*program_, cfg.interface, cfg.xdp_mode);
    }
    std::string xdp_mode_used() const override { return attachment_ ? attachment_->mode_used() : "none"; }
    std::string description() const override {
        return "XDP program attached to " + attachment_->ifname() + " in " + attachment_->mode_used() +
               " mode (requested " + to_string(requested_) + ")";
    }
    void start() override {
        stats_.emplace();
        if (!stats_->ok()) log::warn(stats_->error() + ": per-packet program cost not reported");
        program_->reset_counters();
        cost_.start(*program_, stats_->ok());
    }
    CpuTotals read_totals() const override { return program_->read_totals(); }
    std::optional<LatencyCountSum> read_latency_count_sum() const override {
        if (program_->config().epoch_tai_ns == 0) return std::nullopt;
        const LatencyTotals l = program_->read_latency();
        return LatencyCountSum{l.count, l.sum_ns};
    }
    std::vector<ebt_flow_state> read_flows() const override { return program_->read_flows(); }
    void sample(double t_s) override { cost_.sample(*program_, t_s); }
    ReceiverReport finish(const std::string& mac, bool only_active_flows) override {
        ReceiverReport r = make_report(*program_, *attachment_, mac, only_active_flows);
        r.prog_cost = cost_.finish(*program_);
        return r;
    }
    void release() override { attachment_.reset(); }

private:
    XdpMode requested_;
    std::optional<XdpProgram> program_;
    std::optional<XdpAttachment> attachment_;
    std::optional<BpfStatsEnabler> stats_;
    ProgCostTracker cost_;
};

// The userspace receiver (baseline_receiver.hpp): the same counters, flows
// and latency histogram, filled from recvmmsg instead of the XDP hook.
class BaselinePath final : public ReceivePath {
public:
    explicit BaselinePath(const ReceivePathConfig& cfg) : interface_(cfg.interface) {
        BaselineConfig b;
        b.test_id = cfg.counting.test_id;
        b.flows = cfg.counting.flows;
        b.any_test_id = cfg.counting.any_test_id;
        b.epoch_tai_ns = cfg.counting.epoch_tai_ns;
        b.clock_offset_ns = cfg.counting.clock_offset_ns;
        b.clock_uncertainty_ns = cfg.counting.clock_uncertainty_ns;
        b.address = cfg.address;
        b.port = cfg.port;
        b.threads = cfg.threads;
        b.vlan_bytes = cfg.vlan_bytes;
        rx_.emplace(b);
    }
    std::string xdp_mode_used() const override { return "none"; }
    std::string description() const override {
        const auto& c = rx_->config();
        return "baseline (no XDP): " + std::to_string(c.threads) + " receive thread(s), one UDP socket each (SO_REUSEPORT) on " +
               (c.address.find(':') != std::string::npos ? "[" + c.address + "]" : c.address) + ":" +
               std::to_string(c.port) + ", recvmmsg";
    }
    void start() override { rx_->start(); }
    CpuTotals read_totals() const override { return rx_->read_totals(); }
    std::optional<LatencyCountSum> read_latency_count_sum() const override {
        if (rx_->config().epoch_tai_ns == 0) return std::nullopt;
        const auto [n, sum] = rx_->latency_count_sum();
        return LatencyCountSum{n, sum};
    }
    std::vector<ebt_flow_state> read_flows() const override { return rx_->read_flows(); }
    void sample(double) override {}
    ReceiverReport finish(const std::string& mac, bool only_active_flows) override {
        rx_->stop();
        ReceiverReport r = report_from_counters(rx_->read_totals(), rx_->read_flows(), only_active_flows);
        r.mode = "baseline";
        r.test_action = "pass";   // delivered by the kernel to the sockets and consumed there
        r.interface = interface_;
        r.mac = mac;
        r.xdp_mode = "none";
        const BaselineStats st = rx_->read_stats();
        const auto& c = rx_->config();
        if (c.epoch_tai_ns != 0) {
            r.latency = summarize_latency(rx_->read_latency(), c.clock_offset_ns,
                                          offset_uncertainty_text(c.clock_uncertainty_ns));
            r.latency->method =
                "one-way = arrival - (test epoch + tx_ns in the packet) - clock offset, as in XDP mode; arrival "
                "= the kernel's software RX timestamp (SO_TIMESTAMPNS: CLOCK_REALTIME, taken when the stack "
                "first receives the frame, after the driver and before IP/UDP and the socket queue) + the "
                "kernel's TAI-UTC offset (" + std::to_string(rx_->tai_offset_s()) +
                " s, whole seconds of the same timekeeper: the mapping adds no error) for " +
                std::to_string(st.kernel_timestamps) + " datagrams; CLOCK_TAI read after recvmmsg for " +
                std::to_string(st.user_timestamps) +
                " (late by the socket queue wait and wake-up, not bounded). XDP mode reads CLOCK_TAI in the "
                "XDP hook instead: the two stamping points differ by the driver's path between them (on a NIC "
                "the kernel stamps after XDP, the skb allocation and GRO; a veth stamps when the sender "
                "enqueues, before its XDP), not bounded here. min, mean and max exact; "
                "percentiles by nearest rank from the same log-linear histogram (16 buckets per power of "
                "two), reported as the bucket midpoint";
        }
        log::info("baseline: " + std::to_string(st.kernel_timestamps) + " datagrams with a kernel RX timestamp, " +
                  std::to_string(st.user_timestamps) + " timed in user space; " + std::to_string(st.socket_drops) +
                  " dropped by full socket queues (SO_RXQ_OVFL; they show as lost)");
        return r;
    }
    void release() override { rx_.reset(); }

private:
    std::string interface_;
    std::optional<BaselineReceiver> rx_;
};

}  // namespace

CounterSample ReceiverSampler::take(const ReceivePath& path, double t_s, const CpuTotals& totals) {
    CounterSample s{t_s, totals.test_packets, totals.test_bytes};
    if (const auto lat = path.read_latency_count_sum()) {
        if (lat->count > count_ && lat->sum_ns >= sum_ns_) {
            const uint64_t n = lat->count - count_;
            s.latency_samples = n;
            s.latency_mean_ns = static_cast<double>(lat->sum_ns - sum_ns_) / static_cast<double>(n);
        }
        count_ = lat->count;
        sum_ns_ = lat->sum_ns;
    }
    return s;
}

void set_baseline_target(ReceivePathConfig& pc, const TestConfig& cfg) {
    const FlowSpecConfig spec = resolved_flow_spec(cfg);
    if (spec.dst_ip.count != 1 || spec.dst_port.count != 1)
        throw ConfigError("traffic_config.flow_spec: receive mode baseline receives on one destination address "
                          "and port; this test sends to " + std::to_string(spec.dst_ip.count) + " addresses x " +
                          std::to_string(spec.dst_port.count) + " ports (use receive mode xdp)");
    pc.address = spec.dst_ip.start;
    pc.port = spec.dst_port.start;
    pc.vlan_bytes = cfg.vlan ? 4 : 0;
}

std::unique_ptr<ReceivePath> open_receive_path(const ReceivePathConfig& cfg) {
    if (cfg.mode == ReceiveMode::Baseline) return std::make_unique<BaselinePath>(cfg);
    return std::make_unique<XdpPath>(cfg);
}

}  // namespace ebt
