// The control protocol's messages (the sequence is in protocol.hpp): a
// builder and a validating parser per message, and field access that names
// the field and the message in every error.  The message schema lives here
// and in results.hpp (the report bodies) only.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "config.hpp"
#include "framing.hpp"

namespace ebt::proto {

// NTP-style time_request/time_reply exchanges before configure (clock_sync.hpp).
inline constexpr int kClockSyncExchanges = 8;

// Field access for validation: each throws ProtocolError naming the field
// and the message type when it is missing or has the wrong type or range.
std::string get_string(const boost::json::object& msg, std::string_view key);
uint64_t get_uint(const boost::json::object& msg, std::string_view key, uint64_t max);
const boost::json::object& get_object(const boost::json::object& msg, std::string_view key);
int64_t get_int(const boost::json::object& msg, std::string_view key);
double get_number(const boost::json::object& msg, std::string_view key);  // finite only

// Message builders.  make_hello's challenge and response are omitted when
// empty (no shared secret on this side); the receiver's capabilities add
// "trials" (several tests on one connection).
boost::json::object make_hello(std::string_view role, std::string_view interface = {},
                               std::string_view challenge = {}, std::string_view response = {});
boost::json::object make_auth(std::string_view response);
boost::json::object make_time_request(int64_t t1);
boost::json::object make_time_reply(int64_t t1, int64_t t2, int64_t t3);
boost::json::object make_heartbeat(int64_t t_ns);
boost::json::object make_fetch_results(uint16_t test_id);
// After a test's results: no further trial on this connection.
boost::json::object make_end();

// The receiver's live numbers, streamed while a test runs.
struct LiveSample {
    double t_s = 0;              // since start
    uint64_t test_packets = 0;   // cumulative
    double rx_pps = 0;           // over the last interval
    uint64_t lost = 0;           // sequence gaps open now, all flows
    // CPU shares over the last window of at least 2 s (/proc/stat is
    // tick-sampled); -1 while unknown.  Receive path: softirq of all CPUs +
    // xdp-recv's own time, as a share of all CPUs.  Host: every busy counter
    // of all CPUs, which includes the generator when it shares the host.
    double receive_path_cpu_pct = -1;
    double host_cpu_busy_pct = -1;
};
boost::json::object make_sample(const LiveSample& s);
LiveSample parse_sample(const boost::json::object& msg);
// clock_offset_ns: the receiver's clock minus the generator's (clock sync),
// clock_uncertainty_ns: its bound; -1 when no sync was made.
boost::json::object make_configure(uint16_t test_id, const std::string& test_name,
                                   uint64_t epoch_tai_ns, const TestConfig& cfg,
                                   int64_t clock_offset_ns = 0, int64_t clock_uncertainty_ns = -1);
boost::json::object make_ready(uint16_t test_id, const std::string& interface,
                               const std::string& mac, const std::string& xdp_mode);
boost::json::object make_start(uint16_t test_id);
boost::json::object make_started(uint16_t test_id);
// incomplete_reason: empty for a test that ran its course.
boost::json::object make_stop(uint16_t test_id, uint64_t sent_packets, std::string_view incomplete_reason = {});
struct Stop {
    uint16_t test_id = 0;
    uint64_t sent_packets = 0;
    std::string incomplete_reason;  // "" unless the generator was interrupted
};
Stop parse_stop(const boost::json::object& msg);
boost::json::object make_results(uint16_t test_id, boost::json::object receiver_report);
boost::json::object make_error(std::string_view code, std::string_view reason);
boost::json::object make_busy(uint16_t running_test_id);

struct Hello {
    std::string role;
    std::string software;
    std::string interface;   // receiver only
    std::string challenge;   // "" when the peer has no secret
    std::string response;    // receiver only, "" when none
    // What the peer supports ("trials": several tests on one connection);
    // empty when its hello has none.
    std::vector<std::string> capabilities;
    bool has_capability(std::string_view name) const;
};
// Validates a peer's hello: right type, matching protocol_version (a
// mismatch names both versions), expected role, well-formed challenge and
// response (64 hex digits when present), capabilities an array of strings
// when present.  Throws ProtocolError.
Hello check_hello(const boost::json::object& msg, std::string_view expected_role);

// t1 from a time_request; the three timestamps of a time_reply.
int64_t parse_time_request(const boost::json::object& msg);
struct TimeReply {
    int64_t t1 = 0, t2 = 0, t3 = 0;
};
TimeReply parse_time_reply(const boost::json::object& msg);

struct Configure {
    uint16_t test_id = 0;
    std::string test_name;
    uint64_t epoch_tai_ns = 0;
    int64_t clock_offset_ns = 0;         // receiver clock - generator clock
    int64_t clock_uncertainty_ns = -1;   // -1: not synchronised
    TestConfig config;
};
// Throws ProtocolError (a bad config inside is reported with the key).
Configure parse_configure(const boost::json::object& msg);

struct Ready {
    uint16_t test_id = 0;
    std::string interface;
    std::string mac;
    std::string xdp_mode;
};
Ready parse_ready(const boost::json::object& msg);

}  // namespace ebt::proto
