// Control protocol v1 between dpdk-gen (the controller) and xdp-recv.
//
// Wire: every message is a frame of a 4-byte big-endian length N
// (1 <= N <= kMaxFrameBytes) followed by N bytes of a JSON object whose
// "type" names the message.  A declared length over the limit is refused
// before anything is allocated for it.
//
// One test, in order (G = dpdk-gen, R = xdp-recv):
//   G->R hello      {protocol_version, role:"generator", software}
//   R->G hello      {protocol_version, role:"receiver", software, interface}
//   G->R configure  {test_id, test_name, epoch_tai_ns, config:{...resolved TestConfig...}}
//   R->G ready      {test_id, interface, mac, xdp_mode}      (XDP attached, counters zero)
//   G->R start      {test_id}
//   R->G started    {test_id}                                (receiver counting)
//   ... traffic ...
//   G->R stop       {test_id, sent_packets}
//   R->G results    {test_id, receiver:{...ReceiverReport...}} (after the drain)
// Either side may instead send error {code, reason}; the session then ends.
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

inline constexpr int kProtocolVersion = 1;
inline constexpr std::size_t kMaxFrameBytes = 1u << 20;
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

std::string encode_frame(const boost::json::object& message);

// Incremental decoder: feed whatever the socket returned, take whole
// messages out.  Throws ProtocolError on a bad length, bad JSON, a body that
// is not an object or an object without a string "type".
class FrameDecoder {
public:
    void feed(const char* data, std::size_t size);
    std::optional<boost::json::object> next();
    std::size_t buffered() const { return buffer_.size(); }

private:
    std::string buffer_;
};

// Field access for validation: each throws ProtocolError naming the field
// and the message type when it is missing or has the wrong type or range.
std::string get_string(const boost::json::object& msg, std::string_view key);
uint64_t get_uint(const boost::json::object& msg, std::string_view key, uint64_t max);
const boost::json::object& get_object(const boost::json::object& msg, std::string_view key);

// Message builders.
boost::json::object make_hello(std::string_view role, std::string_view interface = {});
boost::json::object make_configure(uint16_t test_id, const std::string& test_name,
                                   uint64_t epoch_tai_ns, const TestConfig& cfg);
boost::json::object make_ready(uint16_t test_id, const std::string& interface,
                               const std::string& mac, const std::string& xdp_mode);
boost::json::object make_start(uint16_t test_id);
boost::json::object make_started(uint16_t test_id);
boost::json::object make_stop(uint16_t test_id, uint64_t sent_packets);
boost::json::object make_results(uint16_t test_id, boost::json::object receiver_report);
boost::json::object make_error(std::string_view code, std::string_view reason);

// Validates a peer's hello: right type, matching protocol_version (a
// mismatch names both versions), expected role.  Throws ProtocolError.
void check_hello(const boost::json::object& msg, std::string_view expected_role);

struct Configure {
    uint16_t test_id = 0;
    std::string test_name;
    uint64_t epoch_tai_ns = 0;
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

    Channel(boost::asio::io_context& io, boost::asio::ip::tcp::socket socket);

    void send(const boost::json::object& message, Clock::duration timeout);
    // nullopt: the timeout passed with no whole message (the channel stays
    // usable: bytes already read are kept).  Throws ProtocolError when the
    // peer closed the connection or sent a bad frame.
    std::optional<boost::json::object> receive(Clock::duration timeout);
    // receive() a message of this type or throw: PeerError for an error
    // message, ProtocolError for a timeout or any other type.
    boost::json::object expect(std::string_view type, Clock::duration timeout);

    std::string peer_address() const;
    void close();

private:
    // Runs handlers until `done` is set by the pending operation or the
    // deadline passes; on a timeout cancels the operation, waits for its
    // handler and returns false.  Other work on the io_context (a signal
    // set, say) runs meanwhile.
    bool run_until(const bool& done, Clock::duration timeout);

    boost::asio::io_context& io_;
    boost::asio::ip::tcp::socket socket_;
    FrameDecoder decoder_;
};

// Connects with a deadline; throws ProtocolError naming host and port.
boost::asio::ip::tcp::socket connect(boost::asio::io_context& io, const std::string& host,
                                     uint16_t port, Channel::Clock::duration timeout);

}  // namespace ebt::proto
