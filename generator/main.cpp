// dpdk-gen: the source machine's side.  `dpdk-gen <EAL options> -- <options>`.
// Thin, as testpmd's and libbpf-bootstrap's mains are: the EAL
// (eal_session), the options and the plan (options), then the run
// (test_run: coordinate, prepare, run and sample, collect, finish), or
// with --trials / --search a session of such runs (trial_session), and its
// exit status.  The TX lcores are tx_engine / pcap_tx over tx_loop.hpp.
//
// Exit status: 0 a complete test; 1 an incomplete one, or no receiver, or
// no results directory; 2 bad options, configuration or EAL arguments;
// 3 the TSC could not be calibrated.
#include <iostream>
#include <memory>
#include <vector>

#include <rte_eal.h>

#include "eal_session.hpp"
#include "json_text.hpp"
#include "log.hpp"
#include "options.hpp"
#include "port.hpp"
#include "run_info.hpp"
#include "test_run.hpp"
#include "trial_session.hpp"
#include "tsc_clock.hpp"

int main(int argc, char** argv) {
    ebt::log::set_program("dpdk-gen");
    // One --help shows the EAL's options and ours.
    rte_set_application_usage_hook([](const char*) { std::cout << ebt::usage_text(); });
    ebt::EalSession eal;
    if (const int rc = eal.init(argc, argv); rc != 0) return rc;
    // The TSC's real rate (DPDK's rte_get_tsc_hz() may be the nominal one):
    // every TSC-to-time conversion uses it.
    ebt::TscCalibration tsc_cal;
    try {
        tsc_cal = ebt::calibrate_tsc_now();
    } catch (const std::exception& e) {
        std::cerr << "dpdk-gen: error: " << e.what() << "\n";
        return 3;
    }

    ebt::RunSetup setup;
    std::unique_ptr<ebt::Port> port;
    uint32_t link_mbps = 0;
    ebt::TxPlan plan;
    std::vector<unsigned> lcores;
    try {
        setup = ebt::parse_options(argc, argv);
        ebt::PortSetup ps;
        ps.tx_queues = static_cast<uint16_t>(std::min(setup.cfg.threads, setup.cfg.flows));
        ps.frame_len = setup.cfg.packet_size;
        ps.vlan_tagged = setup.cfg.vlan.has_value();
        port = std::make_unique<ebt::Port>(ps);
        link_mbps = ebt::link_speed_mbps(*port, eal.kernel_iface());
        plan = ebt::plan_run(setup, link_mbps, tsc_cal.hz);
        lcores = ebt::worker_lcores(plan.threads.size());
    } catch (const std::exception& e) {
        std::cerr << "dpdk-gen: error: " << e.what() << "\n";
        return 2;
    }
    if (setup.dry_run) {
        std::cout << ebt::json_text(ebt::dry_run_json(setup, plan, lcores, *port, link_mbps, tsc_cal)) << "\n";
        return 0;
    }
    if (setup.trials) {
        ebt::TrialSession session(std::move(setup), *port, link_mbps, std::move(lcores), tsc_cal,
                                  eal.filter_supplied());
        return session.execute();
    }
    ebt::TestRun run(std::move(setup), *port, std::move(plan), std::move(lcores), tsc_cal, eal.filter_supplied());
    return run.execute();
}
