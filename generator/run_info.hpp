// What dpdk-gen says about its port, its plan and itself: the port's driver,
// MAC and link speed, the TX plan as JSON (--dry-run and the debug log), and
// the --dry-run document.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "port.hpp"
#include "tsc_calibration.hpp"
#include "tx_plan.hpp"

namespace ebt {

struct RunSetup;  // options.hpp

// printf's %.*f.
std::string fixed_text(double v, int digits);
// aa:bb:cc:dd:ee:ff
std::string mac_text(const std::array<uint8_t, 6>& m);
// The PMD's driver name, "unknown" when the port has none.
std::string port_driver(uint16_t port_id);

// The port's link speed for rates: the kernel interface's own for an
// AF_PACKET or AF_XDP port (those PMDs report a fixed 10 Gbit/s whatever
// the NIC), else what the PMD reports; 0 when unknown.
uint32_t link_speed_mbps(const Port& port, const std::optional<std::string>& iface);

// The plan: rate, totals, the pattern schedule and each TX lcore's share.
boost::json::object plan_json(const TxPlan& plan, const std::vector<unsigned>& lcores);

// --dry-run: the resolved config, the plan, the port and the TSC.
boost::json::object dry_run_json(const RunSetup& setup, const TxPlan& plan, const std::vector<unsigned>& lcores,
                                 const Port& port, uint32_t link_mbps, const TscCalibration& tsc_cal);

}  // namespace ebt
