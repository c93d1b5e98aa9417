// xdp-recv: the destination machine's side.  The lifecycle only: options,
// the start-up checks (they load, attach and detach the XDP program once),
// then serve: coordinated tests from dpdk-gen (control_server,
// receiver_session) or counting on its own (standalone).  Each test loads
// and attaches the program through one adapter (measurement, receive_path,
// xdp_program: the only code that speaks to libbpf) and detaches it when it
// ends.
//
// Exit statuses: 0 done, 1 a test did not complete, 2 bad configuration or
// flags, 3 this machine cannot run the receiver (kExitEnvironment).
#include <iostream>
#include <vector>

#include "control_server.hpp"
#include "json_text.hpp"
#include "log.hpp"
#include "options.hpp"
#include "standalone.hpp"
#include "system_check.hpp"

namespace {

// The checks that must pass before anything else exists; a failure is one
// error line and kExitEnvironment.  The others are warnings.
bool environment_ok(const std::string& interface, ebt::XdpMode mode, const std::vector<ebt::ReceiveMode>& served,
                    std::vector<ebt::CheckRow>& rows) {
    rows = ebt::run_system_checks(interface, mode, served);
    if (const auto* bad = ebt::first_blocking_failure(rows)) {
        std::cerr << "xdp-recv: error: " << bad->item << ": " << bad->detail << "\n";
        return false;
    }
    for (const auto& r : rows) {
        if (!r.ok) ebt::log::warn(r.item + ": " + r.detail);
        if (r.item == "XDP mode" && mode == ebt::XdpMode::Auto && r.detail.find("got generic") != std::string::npos)
            ebt::log::warn(interface + ": no native XDP, using generic (skb) mode: " + r.detail);
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    ebt::log::set_program("xdp-recv");
    ebt::RecvCommandLine cl;
    try {
        cl = ebt::parse_recv_options(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "xdp-recv: error: " << e.what() << "\n";
        return 2;
    }
    if (cl.help) {
        std::cout << ebt::recv_usage();
        return 0;
    }
    ebt::log::set_verbose(cl.verbose);
    ebt::log::debug("resolved config: " + ebt::json_text(ebt::to_json(cl.config)));
    const std::string& interface = cl.server.interface;

    if (cl.check_only) {
        const auto rows = ebt::run_system_checks(interface, cl.server.xdp_mode, cl.server.modes);
        ebt::print_check_table(std::cout, rows);
        return ebt::all_ok(rows) ? 0 : 1;
    }
    std::vector<ebt::CheckRow> checks;
    if (!environment_ok(interface, cl.server.xdp_mode, cl.server.modes, checks)) return ebt::kExitEnvironment;

    if (cl.no_coordination)
        return ebt::serve_standalone(cl.standalone, cl.server.listen_address, cl.server.control_port, checks);
    cl.server.checks = checks;
    return ebt::serve_coordinated(cl.server, cl.config.discovery);
}
