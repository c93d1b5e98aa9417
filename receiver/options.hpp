// xdp-recv's command line: the flags, their checks and the resolved
// configuration.  Every error is one line naming the flag (ConfigError,
// cli::UsageError, auth::TokenError); main prints it and exits 2.
#pragma once

#include <string>

#include "config.hpp"
#include "control_server.hpp"
#include "standalone.hpp"

namespace ebt {

struct RecvCommandLine {
    bool help = false;              // --help: print recv_usage(), nothing else was read
    bool check_only = false;
    bool verbose = false;
    bool no_coordination = false;
    TestConfig config;              // defaults < --config < the config-key flags
    ReceiverOptions server;         // coordinated: the control server (listen_address: --listen)
    StandaloneOptions standalone;   // --no-coordination (its HTTP pages on server.listen_address)
};

std::string recv_usage();

// Parses and checks argv, resolves the configuration and the shared secret,
// and checks that the interface exists.  Throws on the first bad input.
RecvCommandLine parse_recv_options(int argc, char** argv);

}  // namespace ebt
