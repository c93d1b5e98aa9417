// Wall-clock timestamps for logs and results (ISO 8601, UTC, milliseconds).
#pragma once

#include <string>

namespace ebt {

// e.g. "2026-11-25T22:17:11.123Z"
std::string now_iso8601();

}  // namespace ebt
