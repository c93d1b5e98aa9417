// See system_check.hpp.
#include "system_check.hpp"

#include "baseline_receiver.hpp"
#include "bpf_stats.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <linux/capability.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace ebt {

namespace {

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

// Socket for interface ioctls; -1 on failure.
UniqueFd ioctl_socket() { return UniqueFd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)); }

bool fill_ifreq(ifreq& ifr, const std::string& ifname) {
    if (ifname.empty() || ifname.size() >= IFNAMSIZ) return false;
    std::memset(&ifr, 0, sizeof(ifr));
    std::memcpy(ifr.ifr_name, ifname.c_str(), ifname.size());
    return true;
}

CheckRow check_kernel() {
    utsname u{};
    if (uname(&u) != 0) return {"kernel", false, std::string("uname: ") + std::strerror(errno)};
    int major = 0, minor = 0;
    std::sscanf(u.release, "%d.%d", &major, &minor);
    bool ok = major > 5 || (major == 5 && minor >= 9);
    std::string detail = std::string(u.release);
    if (!ok) detail += " (need >= 5.9 for XDP bpf_link)";
    return {"kernel", ok, detail};
}

CheckRow check_btf() {
    struct stat st{};
    const char* path = "/sys/kernel/btf/vmlinux";
    if (stat(path, &st) != 0)
        return {"BTF", false,
                std::string(path) + " missing (" + std::strerror(errno) +
                    "): kernel needs CONFIG_DEBUG_INFO_BTF=y for CO-RE"};
    return {"BTF", true, std::string(path) + " present"};
}

CheckRow check_caps() {
    std::ifstream in("/proc/self/status");
    std::string line;
    unsigned long long eff = 0;
    bool found = false;
    while (std::getline(in, line)) {
        if (line.rfind("CapEff:", 0) == 0) {
            eff = std::stoull(line.substr(7), nullptr, 16);
            found = true;
            break;
        }
    }
    if (!found) return {"capabilities", false, "cannot read CapEff from /proc/self/status"};
    auto has = [&](int cap) { return (eff >> cap) & 1ULL; };
    const bool net_admin = has(CAP_NET_ADMIN), sys_admin = has(CAP_SYS_ADMIN), bpf = has(CAP_BPF);
    std::string detail = geteuid() == 0 ? "root;" : "not root;";
    detail += std::string(" CAP_BPF ") + (bpf ? "yes" : "no") + ", CAP_NET_ADMIN " +
              (net_admin ? "yes" : "no") + ", CAP_SYS_ADMIN " + (sys_admin ? "yes" : "no");
    const bool ok = net_admin && (bpf || sys_admin);
    if (!ok) detail += " (need CAP_NET_ADMIN and CAP_BPF or CAP_SYS_ADMIN; run as root)";
    return {"capabilities", ok, detail};
}

CheckRow check_interface(const std::string& ifname, bool& exists) {
    exists = false;
    ifreq ifr{};
    if (!fill_ifreq(ifr, ifname)) return {"interface", false, "invalid name '" + ifname + "'"};
    UniqueFd s = ioctl_socket();
    if (s.get() < 0) return {"interface", false, std::string("socket: ") + std::strerror(errno)};
    if (ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0)
        return {"interface", false, "'" + ifname + "' not usable: " + std::strerror(errno)};
    exists = true;
    const bool up = ifr.ifr_flags & IFF_UP;
    const bool running = ifr.ifr_flags & IFF_RUNNING;
    std::string detail = ifname + " ifindex " + std::to_string(if_nametoindex(ifname.c_str()));
    detail += up ? (running ? ", up" : ", up (no carrier)") : ", DOWN";
    std::string drv = interface_driver(ifname);
    detail += ", driver " + (drv.empty() ? std::string("unknown") : drv);
    try {
        detail += ", mac " + interface_mac(ifname);
    } catch (const XdpError&) {
    }
    if (!up) detail += " (bring it up: ip link set dev " + ifname + " up)";
    return {"interface", up, detail};
}

// Loads xdp_recv (passing everything) and attaches it through a bpf_link in
// `mode`: the rows XDP mode and bpf_link.  Then, unless native was the mode
// asked, tries native alone for the native XDP row (informational in auto
// and generic: those work without it).
void check_xdp(const std::string& ifname, XdpMode mode, std::vector<CheckRow>& rows) {
    std::string got;
    try {
        XdpProgram prog(XdpProgramConfig{0, 1, TestAction::Pass});
        XdpAttachment att(prog, ifname, mode);
        got = att.mode_used();
        std::string detail = "requested " + std::string(to_string(mode)) + ", got " + got;
        if (mode == XdpMode::Auto && got == "generic")
            detail += " (driver lacks native XDP: expect low packet rates)";
        rows.push_back({"XDP mode", true, detail});
        rows.push_back({"bpf_link", true, "XDP attached through bpf_link_create (detached when the link fd closes)"});
    } catch (const std::exception& e) {
        rows.push_back({"XDP mode", false, e.what()});
        rows.push_back({"bpf_link", false, "not established (the attach failed, see XDP mode)"});
        if (mode == XdpMode::Native)
            rows.push_back({"native XDP", false, std::string("not available: ") + e.what()});
        else
            rows.push_back({"native XDP", false, "not tried: the attach above failed"});
        return;
    }
    if (got == "native") {
        rows.push_back({"native XDP", true, "supported by the driver"});
        return;
    }
    try {
        XdpProgram prog(XdpProgramConfig{0, 1, TestAction::Pass});
        XdpAttachment att(prog, ifname, XdpMode::Native);
        rows.push_back({"native XDP", true, "supported by the driver"});
    } catch (const std::exception& e) {
        rows.push_back({"native XDP", mode != XdpMode::Native,
                        std::string("not supported (") + e.what() + "); auto mode falls back to generic"});
    }
}

// The baseline's sockets with its options, on a free port (the test's
// address and port come with each test); the receiver's own code opens them.
CheckRow check_baseline() {
    try {
        BaselineConfig bc;
        bc.address = "0.0.0.0";
        bc.port = 0;
        const BaselineReceiver probe(bc);
        return {"baseline", true,
                "UDP sockets with SO_REUSEPORT, SO_TIMESTAMPNS and SO_RXQ_OVFL open and bind; arrival " +
                    (probe.tai_offset_s() >= 0
                         ? "on CLOCK_TAI through the kernel's TAI offset (" + std::to_string(probe.tai_offset_s()) + " s)"
                         : std::string("read on CLOCK_TAI after recvmmsg (the kernel's TAI offset is unknown)"))};
    } catch (const std::exception& e) {
        return {"baseline", false, e.what()};
    }
}

CheckRow check_bpf_stats() {
    BpfStatsEnabler stats;
    if (!stats.ok()) return {"BPF stats", false, stats.error() + " (per-packet program cost will not be reported)"};
    return {"BPF stats", true, "bpf_enable_stats(BPF_STATS_RUN_TIME) available"};
}

// Queue counts: the driver's channels (ETHTOOL_GCHANNELS) and the stack's
// queues/rx-* in sysfs, whichever answer.  Informational: never blocking.
CheckRow check_queues(const std::string& ifname) {
    std::string detail;
    ifreq ifr{};
    UniqueFd s = ioctl_socket();
    ethtool_channels ch{};
    ch.cmd = ETHTOOL_GCHANNELS;
    if (fill_ifreq(ifr, ifname) && s.get() >= 0) {
        ifr.ifr_data = reinterpret_cast<char*>(&ch);
        if (ioctl(s.get(), SIOCETHTOOL, &ifr) == 0)
            detail = "channels: rx " + std::to_string(ch.rx_count) + " (max " + std::to_string(ch.max_rx) +
                     "), tx " + std::to_string(ch.tx_count) + " (max " + std::to_string(ch.max_tx) +
                     "), combined " + std::to_string(ch.combined_count) + " (max " +
                     std::to_string(ch.max_combined) + ")";
    }
    size_t rx = 0, tx = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/sys/class/net/" + ifname + "/queues", ec)) {
        const std::string n = e.path().filename().string();
        rx += n.rfind("rx-", 0) == 0;
        tx += n.rfind("tx-", 0) == 0;
    }
    if (!ec) detail += std::string(detail.empty() ? "" : "; ") + "sysfs: " + std::to_string(rx) + " RX, " +
                       std::to_string(tx) + " TX queues";
    if (detail.empty()) detail = "unknown (driver reports no channels; sysfs not of this namespace)";
    return {"queues", true, detail};
}

}  // namespace

std::string interface_driver(const std::string& ifname) {
    ifreq ifr{};
    if (!fill_ifreq(ifr, ifname)) return "";
    UniqueFd s = ioctl_socket();
    if (s.get() < 0) return "";
    ethtool_drvinfo info{};
    info.cmd = ETHTOOL_GDRVINFO;
    ifr.ifr_data = reinterpret_cast<char*>(&info);
    if (ioctl(s.get(), SIOCETHTOOL, &ifr) != 0) return "";
    info.driver[sizeof(info.driver) - 1] = '\0';
    return info.driver;
}

std::vector<CheckRow> run_system_checks(const std::string& ifname, XdpMode mode,
                                        const std::vector<ReceiveMode>& served) {
    const auto serves = [&](ReceiveMode m) { return std::find(served.begin(), served.end(), m) != served.end(); };
    std::vector<CheckRow> rows;
    rows.push_back(check_kernel());
    rows.push_back(check_btf());
    rows.push_back(check_caps());
    bool exists = false;
    rows.push_back(check_interface(ifname, exists));
    if (exists) {
        const std::string drv = interface_driver(ifname);
        // Informational: loopback and some virtual devices answer no driver name.
        rows.push_back({"driver", true, drv.empty() ? "unknown (ETHTOOL_GDRVINFO not answered)" : drv});
        rows.push_back(check_queues(ifname));
    }
    if (serves(ReceiveMode::Xdp)) {
        rows.push_back(check_bpf_stats());
        if (exists)
            check_xdp(ifname, mode, rows);
        else
            rows.push_back({"XDP mode", false, "not tried: interface '" + ifname + "' not found"});
    }
    if (serves(ReceiveMode::Baseline)) rows.push_back(check_baseline());
    return rows;
}

void print_check_table(std::ostream& os, const std::vector<CheckRow>& rows) {
    size_t w = 4;
    for (const auto& r : rows) w = std::max(w, r.item.size());
    auto pad = [](std::string s, size_t n) {
        s.resize(std::max(n, s.size()), ' ');
        return s;
    };
    os << pad("CHECK", w) << "  " << "RESULT" << "  " << "DETAIL" << '\n';
    for (const auto& r : rows)
        os << pad(r.item, w) << "  " << pad(r.ok ? "OK" : "FAIL", 6) << "  " << r.detail << '\n';
}

const CheckRow* first_blocking_failure(const std::vector<CheckRow>& rows) {
    for (const auto& r : rows)
        if (!r.ok && r.item != "BPF stats") return &r;
    return nullptr;
}

bool all_ok(const std::vector<CheckRow>& rows) {
    return std::all_of(rows.begin(), rows.end(), [](const CheckRow& r) { return r.ok; });
}

}  // namespace ebt
