// Tiny driver for tests/integration/mdns_discovery.sh (not installed).
//   mdns_probe advertise NAME PORT [KEY=VALUE...]
//       publishes until SIGTERM/SIGINT; prints "established NAME" once the
//       daemon confirms, "error MSG" (exit 1) if it cannot.
//   mdns_probe browse TIMEOUT_S [NAME]
//       prints one line per service found: NAME|ADDRESS|PORT|k=v,k=v
//       (sorted keys), then "done N"
//   mdns_probe find TIMEOUT_S [NAME]
//       find_receiver(): prints one line as above, or "none"
#include "discovery.hpp"

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>

namespace {
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

void print(const ebt::discovery::Found& f) {
    std::cout << f.name << '|' << f.address << '|' << f.port << '|';
    bool first = true;
    for (const auto& [k, v] : f.txt) {
        std::cout << (first ? "" : ",") << k << '=' << v;
        first = false;
    }
    std::cout << '\n';
}
}  // namespace

int main(int argc, char** argv) try {
    std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "advertise" && argc >= 4) {
        std::map<std::string, std::string> txt;
        for (int i = 4; i < argc; ++i) {
            std::string kv = argv[i];
            auto eq = kv.find('=');
            txt[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
        }
        std::signal(SIGTERM, on_signal);
        std::signal(SIGINT, on_signal);
        ebt::discovery::Advertiser adv(argv[2], static_cast<uint16_t>(std::stoul(argv[3])), txt);
        if (!adv.wait_established(20)) {
            std::cout << "error " << adv.error() << std::endl;
            return 1;
        }
        std::cout << "established " << adv.name() << std::endl;
        while (!g_stop) pause();
        std::cout << "withdrawn" << std::endl;
        return 0;  // ~Advertiser withdraws
    }
    if ((cmd == "browse" || cmd == "find") && argc >= 3) {
        double timeout = std::stod(argv[2]);
        std::string name = argc > 3 ? argv[3] : "";
        if (cmd == "find") {
            auto f = ebt::discovery::find_receiver(timeout, name);
            if (f) print(*f); else std::cout << "none\n";
            return 0;
        }
        ebt::discovery::BrowseOptions o;
        o.name = name;
        auto v = ebt::discovery::browse(timeout, o);
        for (const auto& f : v) print(f);
        std::cout << "done " << v.size() << '\n';
        return 0;
    }
    std::cerr << "usage: mdns_probe advertise NAME PORT [K=V...] | browse TIMEOUT [NAME] | find TIMEOUT [NAME]\n";
    return 2;
} catch (const std::exception& e) {
    std::cout << "error " << e.what() << std::endl;
    return 1;
}
