// See receive_modes.hpp.
#include "receive_modes.hpp"

#include <algorithm>

#include "config.hpp"

namespace ebt {

std::optional<ReceiveMode> receive_mode_named(std::string_view name) {
    for (const ReceiveMode m : {ReceiveMode::Xdp, ReceiveMode::Baseline})
        if (name == to_string(m)) return m;
    return std::nullopt;
}

std::vector<ReceiveMode> parse_receive_modes(std::string_view flag, const std::string& text) {
    auto bad = [&](const std::string& why) {
        throw ConfigError("--" + std::string(flag) + ": expected a comma list of xdp and baseline (e.g. "
                          "xdp,baseline; the first is the default)" + why + ", got '" + text + "'");
    };
    std::vector<ReceiveMode> out;
    for (size_t pos = 0;;) {
        const size_t comma = text.find(',', pos);
        const std::string item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        const auto m = receive_mode_named(item);
        if (!m) bad("");
        if (std::find(out.begin(), out.end(), *m) != out.end()) bad(", each once");
        out.push_back(*m);
        if (comma == std::string::npos) break;
        pos = comma + 1;
    }
    return out;
}

std::string modes_text(const std::vector<ReceiveMode>& modes) {
    std::string out;
    for (const ReceiveMode m : modes) out += (out.empty() ? "" : ",") + std::string(to_string(m));
    return out;
}

ModeSelection select_receive_mode(const std::vector<ReceiveMode>& served, const std::string& requested) {
    ModeSelection s;
    if (requested.empty()) {
        s.mode = served.front();
        return s;
    }
    s.requested = true;
    const auto m = receive_mode_named(requested);
    if (m && std::find(served.begin(), served.end(), *m) != served.end()) {
        s.mode = *m;
        return s;
    }
    s.refusal = "network_config.dst_machine.receiver_mode: " + requested +
                " is not served by this receiver (it serves " + modes_text(served) +
                "; start xdp-recv with --modes naming " + requested + ")";
    return s;
}

}  // namespace ebt
