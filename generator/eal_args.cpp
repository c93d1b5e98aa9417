#include "eal_args.hpp"

#include <charconv>
#include <filesystem>

namespace ebt {

namespace {

// The value of "--vdev X" / "--vdev=X" at args[i] (i advanced past it), or "".
std::string vdev_value(const std::vector<std::string>& args, size_t& i, bool& joined) {
    const std::string& a = args[i];
    joined = false;
    if (a == "--vdev" && i + 1 < args.size()) return args[++i];
    if (a.rfind("--vdev=", 0) == 0) {
        joined = true;
        return a.substr(7);
    }
    return {};
}

bool is_af_xdp(const std::string& vdev) { return vdev.rfind("net_af_xdp", 0) == 0; }
// The value of devarg `key` in "name,key=value,...", if it is there.
std::optional<std::string> devarg(const std::string& vdev, const std::string& key) {
    const std::string tag = "," + key + "=";
    const auto at = vdev.find(tag);
    if (at == std::string::npos) return std::nullopt;
    const size_t from = at + tag.size();
    return vdev.substr(from, vdev.find(',', from) - from);
}
bool has_xdp_prog(const std::string& vdev) { return devarg(vdev, "xdp_prog").has_value(); }
std::string vdev_name(const std::string& vdev) { return vdev.substr(0, vdev.find(',')); }

bool parse_uint(const std::string& s, unsigned& v) {
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// -l's list: "0-3,5"; nullopt when it is not one (the EAL will say so).
std::optional<std::set<unsigned>> parse_cpu_list(const std::string& text) {
    std::set<unsigned> out;
    size_t start = 0;
    while (start <= text.size()) {
        const size_t end = std::min(text.find(',', start), text.size());
        const std::string part = text.substr(start, end - start);
        const size_t dash = part.find('-');
        unsigned lo = 0, hi = 0;
        if (dash == std::string::npos) {
            if (!parse_uint(part, lo)) return std::nullopt;
            hi = lo;
        } else if (!parse_uint(part.substr(0, dash), lo) || !parse_uint(part.substr(dash + 1), hi) || hi < lo ||
                   hi - lo > 4096) {
            return std::nullopt;
        }
        for (unsigned c = lo; c <= hi; ++c) out.insert(c);
        start = end + 1;
    }
    return out;
}

// -c's hex mask.
std::optional<std::set<unsigned>> parse_cpu_mask(std::string text) {
    if (text.rfind("0x", 0) == 0 || text.rfind("0X", 0) == 0) text = text.substr(2);
    if (text.empty() || text.size() > 256) return std::nullopt;
    std::set<unsigned> out;
    for (size_t i = 0; i < text.size(); ++i) {
        const char ch = text[text.size() - 1 - i];
        unsigned nibble = 0;
        if (ch >= '0' && ch <= '9') nibble = static_cast<unsigned>(ch - '0');
        else if (ch >= 'a' && ch <= 'f') nibble = static_cast<unsigned>(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F') nibble = static_cast<unsigned>(ch - 'A' + 10);
        else return std::nullopt;
        for (unsigned b = 0; b < 4; ++b)
            if (nibble & (1u << b)) out.insert(static_cast<unsigned>(i * 4 + b));
    }
    return out;
}

}  // namespace

std::vector<std::string> with_af_xdp_filter(const std::vector<std::string>& args, const std::string& filter,
                                            std::vector<std::string>& supplied) {
    std::vector<std::string> out;
    supplied.clear();
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--") {  // the application's options: untouched
            out.insert(out.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
            break;
        }
        bool joined = false;
        const size_t at = i;
        std::string v = vdev_value(args, i, joined);
        if (v.empty()) {
            out.push_back(args[at]);
            continue;
        }
        if (is_af_xdp(v) && !has_xdp_prog(v)) {
            v += ",xdp_prog=" + filter;
            supplied.push_back(vdev_name(v));
        }
        if (joined) {
            out.push_back("--vdev=" + v);
        } else {
            out.push_back("--vdev");
            out.push_back(v);
        }
    }
    return out;
}

bool af_xdp_without_filter(const std::vector<std::string>& args) {
    for (size_t i = 0; i < args.size() && args[i] != "--"; ++i) {
        bool joined = false;
        const std::string v = vdev_value(args, i, joined);
        if (is_af_xdp(v) && !has_xdp_prog(v)) return true;
    }
    return false;
}

std::optional<std::string> kernel_iface_of_vdev(const std::vector<std::string>& args) {
    std::vector<std::string> vdevs;
    for (size_t i = 0; i < args.size() && args[i] != "--"; ++i) {
        bool joined = false;
        std::string v = vdev_value(args, i, joined);
        if (!v.empty()) vdevs.push_back(std::move(v));
    }
    if (vdevs.size() != 1) return std::nullopt;
    const std::string& v = vdevs[0];
    if (!is_af_xdp(v) && v.rfind("net_af_packet", 0) != 0) return std::nullopt;
    auto iface = devarg(v, "iface");
    if (iface && iface->empty()) return std::nullopt;
    return iface;
}

std::string cpu_list_text(const std::set<unsigned>& cpus) {
    std::string out;
    for (auto it = cpus.begin(); it != cpus.end();) {
        const unsigned lo = *it;
        unsigned hi = lo;
        for (++it; it != cpus.end() && *it == hi + 1; ++it) hi = *it;
        if (!out.empty()) out += ",";
        out += std::to_string(lo);
        if (hi != lo) out += "-" + std::to_string(hi);
    }
    return out;
}

std::optional<std::string> check_lcore_cpus(const std::vector<std::string>& args, const std::set<unsigned>& allowed) {
    if (allowed.empty()) return std::nullopt;
    for (size_t i = 0; i < args.size() && args[i] != "--"; ++i) {
        std::string flag, value;
        const std::string& a = args[i];
        if ((a == "-l" || a == "-c") && i + 1 < args.size()) {
            flag = a;
            value = args[i + 1];
        } else if (a.size() > 2 && (a.rfind("-l", 0) == 0 || a.rfind("-c", 0) == 0) && a[1] != '-') {
            flag = a.substr(0, 2);
            value = a.substr(2);
        } else {
            continue;
        }
        const auto cpus = flag == "-l" ? parse_cpu_list(value) : parse_cpu_mask(value);
        if (!cpus) continue;  // malformed: the EAL's own message
        for (const unsigned c : *cpus)
            if (!allowed.count(c)) {
                const size_t lcores = cpus->size();
                return flag + " " + value + ": CPU " + std::to_string(c) + " is not available to this process (CPUs " +
                       cpu_list_text(allowed) + "); to run " + std::to_string(lcores) +
                       " lcores on these CPUs, map them with --lcores, e.g. --lcores '" +
                       [&] {
                           // lcore k on allowed CPU k mod n: the first ones get a CPU each.
                           std::string m;
                           std::vector<unsigned> cpu_of(allowed.begin(), allowed.end());
                           for (size_t k = 0; k < lcores; ++k)
                               m += (k ? "," : "") + std::to_string(k) + "@" + std::to_string(cpu_of[k % cpu_of.size()]);
                           return m;
                       }() +
                       "' (lcores sharing a CPU take turns: each sends at a fraction of its rate)";
            }
    }
    return std::nullopt;
}

std::optional<std::string> find_xsk_filter(const std::string& exe_dir) {
    namespace fs = std::filesystem;
    for (const fs::path& p : {fs::path(exe_dir) / kXskFilterName, fs::path(exe_dir) / ".." / "bpf" / kXskFilterName,
                             fs::path(exe_dir) / ".." / "share" / "ebpf-test" / "bpf" / kXskFilterName}) {
        std::error_code ec;
        if (fs::is_regular_file(p, ec)) return fs::weakly_canonical(p, ec).string();
    }
    return std::nullopt;
}

}  // namespace ebt
