// dpdk-gen's options: the usage text, the command line and the
// configuration resolved into what a run needs (RunSetup), and the TX plan
// once the port's link speed is known.  Every error is a ConfigError or a
// cli::UsageError (exit 2).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config.hpp"
#include "pcap_replay.hpp"
#include "seq_faults.hpp"
#include "trial_options.hpp"
#include "tx_plan.hpp"

namespace ebt {

// Everything a run needs once the options are valid.
struct RunSetup {
    TestConfig cfg;
    bool coordinated = true;
    bool dry_run = false;
    std::optional<std::array<uint8_t, 6>> dst_mac;     // from flag or config
    std::vector<SeqFault> seq_faults;                  // test only; sorted, global flow ids
    std::optional<std::string> token;                  // shared secret for the control connection
    bool dst_ip_given = false;                         // --dst-ip (discovery is skipped)
    std::optional<uint64_t> count;                     // --count N
    bool duration_given = false;                       // --duration on the command line
    bool quiet = false;                                // --quiet
    bool stats_json = false;                           // --stats-json
    bool summary_json = false;                         // --summary-json
    std::optional<PcapReplay> replay;                  // --pcap (read and checked)
    bool pcap_file_timing = false;                     // --pcap-timing file
    std::optional<TrialOptions> trials;                // --trials or --search (trial_session.hpp)
};

// The whole --help text.
std::string usage_text();

// Options and configuration (after rte_eal_init: checks the worker lcores);
// --help prints the usage and exits 0.
RunSetup parse_options(int argc, char** argv);

// Resolves the rate against the link (0: unknown), applies --count and the
// file timing, seeds Poisson patterns and plans the TX lcores.
TxPlan plan_run(RunSetup& setup, uint32_t link_mbps, uint64_t tsc_hz);

// The first n worker lcores.
std::vector<unsigned> worker_lcores(size_t n);

}  // namespace ebt
