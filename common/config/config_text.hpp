// Inside the config library: the limits, the "expected ..." texts, and the
// value parsers and checks that the schema table's rows (config_schema.cpp)
// and the hand-written composite checks share.  Not for the programs: they
// use config.hpp and config_schema.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <boost/json/fwd.hpp>

#include "config.hpp"
#include "packet.hpp"

namespace ebt::config_detail {

// ---------------------------------------------------------------- limits

inline constexpr uint64_t kPacketSizeMin = kMinFrameLen;   // 60
inline constexpr uint64_t kPacketSizeMax = kMaxFrameLen;   // 9000
inline constexpr uint64_t kFlowsMax = EBT_MAX_FLOWS;       // 65536
inline constexpr uint64_t kThreadsMax = 64;
inline constexpr uint64_t kPortMax = 65535;
inline constexpr uint64_t kSizeWeightMax = 1000;  // bounds the per-lcore size pattern (sum of weights)

// ---------------------------------------------------------------- expected texts

extern const std::string kExpectRate;
extern const std::string kExpectSize;
extern const std::string kExpectFlows;
extern const std::string kExpectThreads;
extern const char* const kExpectPort;
extern const char* const kExpectSeconds;
extern const char* const kExpectNonNegSeconds;
extern const char* const kExpectIpv4;
extern const char* const kExpectMac;
extern const char* const kExpectIfName;
extern const char* const kExpectPatternPps;
extern const char* const kExpectNonEmpty;
extern const char* const kExpectIpv6;
extern const char* const kExpectIpAny;
extern const char* const kExpectVlan;
extern const char* const kExpectVlanId;
extern const char* const kExpectPcp;
extern const char* const kExpectFlowSpec;
extern const char* const kExpectRange;
extern const char* const kExpectAddrStep;
extern const char* const kExpectPortStep;

// ---------------------------------------------------------------- texts

std::string quoted(const std::string& s);
// Doubles in the shortest form that reads back the same.
std::string num_text(double d);
// Whole-string strict parsers: no sign, no spaces, no suffixes.
bool parse_uint_text(const std::string& s, uint64_t& out);
bool parse_double_text(const std::string& s, double& out);

// A rate as written: "max", "N%", or a number with an optional unit (pps,
// kpps, Mpps, Gpps, bps, kbps, Mbps, Gbps, Tbps; case-insensitive).  Fills
// the rate fields of cfg; false if the text is none of these.
bool parse_rate_text(const std::string& s, TestConfig& cfg);
// The text form of a bps/% rate (reads back to the same value).
std::string rate_text(const TestConfig& c);

// A frame size as written: N, "imix", or "SIZE:WEIGHT,..." (sizes 60..9000,
// weights 1..1000, sizes distinct).  Fills packet_size and size_mix.
bool parse_size_text(const std::string& s, TestConfig& cfg);
boost::json::value size_json(const TestConfig& c);

// ---------------------------------------------------------------- checks

bool valid_ifname(const std::string& s);
bool valid_mac_or_empty(const std::string& s);
bool valid_ipv4(const std::string& s);
bool valid_ipv6(const std::string& s);
bool valid_ip_any(const std::string& s);
bool non_empty(const std::string& s);

using KeyError = std::optional<std::pair<std::string, std::string>>;  // {key, message}

// The type-specific fields of each pattern type (name, type and duration
// belong to all).
std::string pattern_fields(const std::string& type);
bool pattern_field_applies(const std::string& type, const std::string& field);
// One pattern's own rules; {key, message} for the first broken one.
KeyError check_pattern(const PatternConfig& p, const std::string& key);

// The rules of a flow_spec on its own (the walker, with a line, and
// validate() share them): a step of 0 only with count 1, at most
// EBT_MAX_FLOWS flows.  Addresses and overflow need ip_version: validate().
KeyError flow_spec_shape_error(const FlowSpecConfig& fs, const std::string& path);
// `flows` given next to a flow_spec must be its product.
std::string flows_conflict(uint64_t flows, const FlowSpecConfig& fs);

}  // namespace ebt::config_detail
