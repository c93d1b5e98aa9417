// Control protocol (v2) between dpdk-gen (the controller) and xdp-recv.
//
// Wire: every message is a frame of a 4-byte big-endian length N
// (1 <= N <= kMaxFrameBytes) followed by N bytes of a JSON object whose
// "type" names the message.  A declared length over the limit is refused
// before anything is allocated for it.
//
// One test, in order (G = dpdk-gen, R = xdp-recv):
//   G->R hello      {protocol_version, role:"generator", software, capabilities, [challenge]}
//   R->G hello      {protocol_version, role:"receiver", software, capabilities, interface,
//                    [challenge, response]}                   (auth.hpp: HMAC-SHA256 both ways)
//   G->R auth       {response}                               (when the receiver sent a challenge)
//   G->R time_request {t1}  R->G time_reply {t1, t2, t3}     (>= 8 times: clock_sync.hpp)
//   G->R configure  {test_id, test_name, epoch_tai_ns, config:{...resolved TestConfig...}}
//   R->G ready      {test_id, interface, mac, xdp_mode}      (XDP attached, counters zero)
//   G->R start      {test_id}
//   R->G started    {test_id}                                (receiver counting)
//   ... traffic; both ways heartbeat {t_ns} every second (a peer silent for
//   3 s is lost); R->G sample {t_s, test_packets, rx_pps, lost, receive_path_cpu_pct,
//   host_cpu_busy_pct} every monitoring_config.real_time.update_interval ...
//   G->R stop       {test_id, sent_packets, [incomplete_reason]}  (a reason: the generator
//                   was interrupted; the receiver still drains and answers, and marks
//                   its side incomplete with that reason)
//   R->G results    {test_id, receiver:{...ReceiverReport...}} (after the drain)
//   G->R fetch_results {test_id}  R->G results ...           (a generator that lost the
//                                                           connection fetches the last results)
// Either side may instead send error {code, reason[, test_id]}; the session
// then ends.  A second controller while a test runs gets error "busy" with
// the running test's id.
// The message schema lives here and in results.hpp (the report bodies) only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "config.hpp"

namespace ebt::proto {

inline constexpr int kProtocolVersion = 2;
inline constexpr std::chrono::seconds kHeartbeatInterval{1};
inline constexpr std::chrono::seconds kPeerLossTimeout{3};
inline constexpr int kClockSyncExchanges = 8;
inline constexpr std::size_t kMaxFrameBytes = 1u << 20;
// A results message carries every flow's row and the whole sample series
// (65,536 flows alone are ~10 MB), so it alone may be this large; the
// generator accepts it only after the handshake (Channel::accept_results()),
// and xdp-recv never accepts more than kMaxFrameBytes from anyone.
inline constexpr std::size_t kMaxResultsFrameBytes = 64u << 20;
inline constexpr std::size_t kLengthPrefixBytes = 4;

// A malformed frame or message, a closed connection or a timeout.
class ProtocolError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The peer sent an error message.
class PeerError : public std::runtime_error {
public:
    PeerError(std::string code, const std::string& reason)
        : std::runtime_error(reason), code_(std::move(code)) {}
    const std::string& code() const { return code_; }

private:
    std::string code_;
};

// Refuses (ProtocolError) a body over kMaxFrameBytes, or over
// kMaxResultsFrameBytes for a "results" message.
std::string encode_frame(const boost::json::object& message);

// Incremental decoder: feed whatever the socket returned, take whole
// messages out.  Throws ProtocolError on a bad length, bad JSON, a body that
// is not an object or an object without a string "type".
class FrameDecoder {
public:
    void feed(const char* data, std::size_t size);
    std::optional<boost::json::object> next();
    std::size_t buffered() const { return buffer_.size(); }
    // The largest declared length accepted (default kMaxFrameBytes).
    void set_limit(std::size_t max_frame_bytes) { limit_ = max_frame_bytes; }

private:
    std::string buffer_;
    std::size_t limit_ = kMaxFrameBytes;
};

// Field access for validation: each throws ProtocolError naming the field
// and the message type when it is missing or has the wrong type or range.
std::string get_string(const boost::json::object& msg, std::string_view key);
uint64_t get_uint(const boost::json::object& msg, std::string_view key, uint64_t max);
const boost::json::object& get_object(const boost::json::object& msg, std::string_view key);
int64_t get_int(const boost::json::object& msg, std::string_view key);
double get_number(const boost::json::object& msg, std::string_view key);  // finite only

// Message builders.  make_hello's challenge and response are omitted when
// empty (no shared secret on this side).
boost::json::object make_hello(std::string_view role, std::string_view interface = {},
                               std::string_view challenge = {}, std::string_view response = {});
boost::json::object make_auth(std::string_view response);
boost::json::object make_time_request(int64_t t1);
boost::json::object make_time_reply(int64_t t1, int64_t t2, int64_t t3);
boost::json::object make_heartbeat(int64_t t_ns);
boost::json::object make_fetch_results(uint16_t test_id);

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
};
// Validates a peer's hello: right type, matching protocol_version (a
// mismatch names both versions), expected role, well-formed challenge and
// response (64 hex digits when present).  Throws ProtocolError.
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

// A connected TCP control channel with a deadline on every operation.
// Blocking API over Boost.Asio's asynchronous operations, so a dead or
// silent peer can never hang either program.
class Channel {
public:
    using Clock = std::chrono::steady_clock;

    // initial: bytes already read from the socket (the receiver reads the
    // first four to tell HTTP from the control protocol).
    Channel(boost::asio::io_context& io, boost::asio::ip::tcp::socket socket, std::string initial = {});

    void send(const boost::json::object& message, Clock::duration timeout);
    // nullopt: the timeout passed with no whole message (the channel stays
    // usable: bytes already read are kept).  Throws ProtocolError when the
    // peer closed the connection or sent a bad frame.
    std::optional<boost::json::object> receive(Clock::duration timeout);
    // receive() a message of this type or throw: PeerError for an error
    // message, ProtocolError for a timeout or any other type.
    boost::json::object expect(std::string_view type, Clock::duration timeout);
    // The next message of any type; PeerError for an error message,
    // ProtocolError when none arrives in time.
    boost::json::object expect_any(Clock::duration timeout);

    std::string peer_address() const;
    void close();
    // From now on, frames up to kMaxResultsFrameBytes are accepted: for the
    // generator once the receiver has answered the handshake.
    void accept_results() { decoder_.set_limit(kMaxResultsFrameBytes); }

private:
    // Runs handlers until `done` is set by the pending operation or the
    // deadline passes; on a timeout cancels the operation, waits for its
    // handler and returns false.  Other work on the io_context (a signal
    // set, say) runs meanwhile.
    bool run_until(const bool& done, Clock::duration timeout);
    // An error message becomes PeerError, no message ProtocolError.
    boost::json::object checked(std::optional<boost::json::object> msg, std::string_view what,
                                Clock::duration timeout);

    boost::asio::io_context& io_;
    boost::asio::ip::tcp::socket socket_;
    FrameDecoder decoder_;
};

// Connects with a deadline; throws ProtocolError naming host and port.
boost::asio::ip::tcp::socket connect(boost::asio::io_context& io, const std::string& host,
                                     uint16_t port, Channel::Clock::duration timeout);

}  // namespace ebt::proto
