// See measurement.hpp.
#include "measurement.hpp"

#include <algorithm>

#include "log.hpp"
#include "timestamp.hpp"

namespace ebt {

ReceivePathConfig receive_path_config(const ReceiveSettings& s, ReceiveMode mode) {
    ReceivePathConfig pc;
    pc.mode = mode;
    pc.interface = s.interface;
    pc.xdp_mode = s.xdp_mode;
    pc.counting.action = s.action;
    pc.threads = s.recv_threads;
    return pc;
}

Measurement::Measurement(ReceivePathConfig pc, const TestConfig& config)
    : pc_([&] {
          if (pc.mode == ReceiveMode::Baseline) set_baseline_target(pc, config);
          return std::move(pc);
      }()),
      path_(open_receive_path(pc_)),
      mac_(interface_mac(pc_.interface)),
      monitor_(pc_.interface, config.sample_rate),
      sample_every_(seconds_duration(config.sample_rate)),
      live_every_(seconds_duration(config.real_time.update_interval)) {}

void Measurement::announce(const std::string& prefix, const std::string& suffix) const {
    log::info(prefix + path_->description() + suffix);
    if (pc_.mode == ReceiveMode::Xdp && pc_.xdp_mode == XdpMode::Auto && path_->xdp_mode_used() == "generic")
        log::warn(pc_.interface + " has no native XDP: generic (skb) mode measures the kernel stack too");
}

void Measurement::start(const std::function<void()>& counting_started) {
    path_->start();
    if (counting_started) counting_started();
    t0_ = Clock::now();
    monitor_.sample(0.0);
    next_sample_ = t0_ + sample_every_;
    next_live_ = t0_ + live_every_;
    live_at_ = t0_;
}

double Measurement::elapsed_s() const { return std::chrono::duration<double>(Clock::now() - t0_).count(); }

void Measurement::take_sample() {
    const CpuTotals t = path_->read_totals();
    samples_.push_back(sampler_.take(*path_, elapsed_s(), t));
    path_->sample(samples_.back().t_s);
    monitor_.sample(samples_.back().t_s);
    next_sample_ += sample_every_;
}

Measurement::Live Measurement::take_live(Clock::time_point now) {
    Live live;
    live.now = now;
    live.totals = path_->read_totals();
    live.t_s = elapsed_s();
    const double dt = std::chrono::duration<double>(now - live_at_).count();
    live.rx_pps = dt > 0 ? static_cast<double>(live.totals.test_packets - live_packets_) / dt : 0;
    live_packets_ = live.totals.test_packets;
    live_at_ = now;
    next_live_ += live_every_;
    return live;
}

ReceiverReport Measurement::finish(bool only_active_flows, std::optional<Clock::time_point> drain_started) {
    const double t_end = elapsed_s();
    path_->sample(t_end);
    ReceiverReport report = path_->finish(mac_, only_active_flows);
    CpuTotals at_end{};  // the report's own totals: the last sample equals them
    at_end.test_packets = report.test_packets;
    at_end.test_bytes = report.test_bytes;
    samples_.push_back(sampler_.take(*path_, t_end, at_end));
    report.samples = samples_;
    if (drain_started)
        report.drain_s = std::chrono::duration<double>(Clock::now() - *drain_started).count();
    monitor_.sample(report.samples.back().t_s);
    report.system = monitor_.finish(report.test_packets);
    return report;
}

ReceiverReport Measurement::salvage() {
    ReceiverReport report = path_->finish(mac_, false);
    report.samples = samples_;
    report.system = monitor_.finish(report.test_packets);
    return report;
}

void Measurement::release() {
    path_->release();
    log::info(pc_.mode == ReceiveMode::Xdp ? "XDP program detached from " + pc_.interface
                                           : std::string("baseline sockets closed"));
}

ReceiverResultsDir::ReceiverResultsDir(const std::string& root, const TestRecord& identity)
    : dir_(create_results_dir(root, "receiver", results_dir_name(identity.started_at, identity.name))) {
    log::open_file(dir_ + "/xdp-recv.log");
}

ReceiverResultsDir::~ReceiverResultsDir() { log::close_file(); }

void ReceiverResultsDir::write(TestRecord& identity, const std::string& incomplete_reason,
                               const ReceiverReport& report) const {
    identity.ended_at = now_iso8601();
    identity.status = incomplete_reason.empty() ? "complete" : "incomplete";
    identity.status_reason = incomplete_reason;
    write_receiver_results(dir_, identity, report);
}

}  // namespace ebt
