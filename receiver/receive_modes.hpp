// Which receive modes this xdp-recv serves (--modes, or today's --mode) and
// which one a test gets: the generator asks per test through
// network_config.dst_machine.receiver_mode; "" takes the receiver's default,
// the first mode served.  A request for a mode not served is refused before
// anything is opened, so a comparison never silently measures the wrong
// receiver.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "receive_path.hpp"

namespace ebt {

// A mode's name ("xdp", "baseline"); nullopt for any other text.
std::optional<ReceiveMode> receive_mode_named(std::string_view name);

// A comma list of distinct mode names, e.g. "xdp,baseline", in order.
// Throws ConfigError "--FLAG: expected ..., got 'TEXT'" for an empty list or
// item, an unknown name, or a name given twice.
std::vector<ReceiveMode> parse_receive_modes(std::string_view flag, const std::string& text);

// "xdp,baseline": the list as --modes takes it.
std::string modes_text(const std::vector<ReceiveMode>& modes);

// The mode a test gets, or why it is refused.
struct ModeSelection {
    std::optional<ReceiveMode> mode;   // nullopt: refused
    bool requested = false;            // the generator named it ("" takes the default)
    std::string refusal;               // one line naming the requested mode and the served list
};

// served: non-empty, the default first.  requested: the test's
// network_config.dst_machine.receiver_mode ("" | "xdp" | "baseline").
ModeSelection select_receive_mode(const std::vector<ReceiveMode>& served, const std::string& requested);

}  // namespace ebt
