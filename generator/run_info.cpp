#include "run_info.hpp"

#include <cstdio>
#include <fstream>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "log.hpp"
#include "options.hpp"

namespace ebt {

std::string fixed_text(double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

std::string mac_text(const std::array<uint8_t, 6>& m) {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return buf;
}

std::string port_driver(uint16_t port_id) {
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(port_id, &info) != 0 || info.driver_name == nullptr) return "unknown";
    return info.driver_name;
}

uint32_t link_speed_mbps(const Port& port, const std::optional<std::string>& iface) {
    const std::string driver = port_driver(port.id());
    if (!iface || (driver != "net_af_packet" && driver != "net_af_xdp")) return port.link_speed_mbps();
    std::ifstream f("/sys/class/net/" + *iface + "/speed");
    long mbps = -1;
    if (!(f >> mbps) || mbps <= 0) {
        log::warn(*iface + " reports no link speed (" + driver +
                  "'s own figure is a constant): rates in % "
                  "cannot be resolved and rates are not checked against the link");
        return 0;
    }
    if (static_cast<uint32_t>(mbps) != port.link_speed_mbps())
        log::info("link speed " + std::to_string(mbps) + " Mbps from the kernel interface " + *iface + " (" + driver +
                  " reports " + std::to_string(port.link_speed_mbps()) + ")");
    return static_cast<uint32_t>(mbps);
}

boost::json::object plan_json(const TxPlan& plan, const std::vector<unsigned>& lcores) {
    boost::json::array threads;
    for (size_t i = 0; i < plan.threads.size(); ++i) {
        const auto& t = plan.threads[i];
        threads.push_back({{"lcore", lcores.at(i)},
                           {"queue", t.queue_id},
                           {"first_flow", t.first_flow},
                           {"flows", t.flow_count},
                           {"target_pps", t.target_pps},
                           {"packets", t.unlimited ? boost::json::value(nullptr) : boost::json::value(t.total_packets)},
                           {"paced", t.paced},
                           {"burst", t.burst}});
    }
    boost::json::value schedule = nullptr;
    if (plan.schedule) {
        boost::json::array segs;
        for (const auto& g : plan.schedule->segments)
            segs.push_back({{"pattern", g.pattern},
                            {"first", g.first},
                            {"packets", g.count},
                            {"start_s", static_cast<double>(g.start) / static_cast<double>(plan.schedule->hz)},
                            {"peak_pps", g.peak_pps}});
        schedule = {{"duration_s", plan.schedule->duration_s},
                    {"total_packets", plan.schedule->total},
                    {"segments", std::move(segs)}};
    }
    const bool unlimited = plan.rate_max && !plan.count;
    return {{"rate", plan.rate_max ? boost::json::value("max") : boost::json::value(plan.total_pps)},
            {"total_packets", unlimited ? boost::json::value(nullptr) : boost::json::value(plan.total_packets)},
            {"count", plan.count ? boost::json::value(*plan.count) : boost::json::value(nullptr)},
            {"schedule", std::move(schedule)},
            {"threads", std::move(threads)}};
}

boost::json::object dry_run_json(const RunSetup& setup, const TxPlan& plan, const std::vector<unsigned>& lcores,
                                 const Port& port, uint32_t link_mbps, const TscCalibration& tsc_cal) {
    return {{"config", to_json(setup.cfg)},
            {"plan", plan_json(plan, lcores)},
            {"port",
             {{"id", port.id()},
              {"driver", port_driver(port.id())},
              {"mac", mac_text(port.mac())},
              {"link_speed_mbps", link_mbps}}},
            {"tsc",
             {{"nominal_hz", rte_get_tsc_hz()},
              {"calibrated_hz", tsc_cal.hz},
              {"calibration_uncertainty_ppm", tsc_cal.uncertainty_ppm}}},
            {"coordinated", setup.coordinated}};
}

}  // namespace ebt
