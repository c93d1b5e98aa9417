// The control protocol's framing: every message is a frame of a 4-byte
// big-endian length N (1 <= N <= kMaxFrameBytes) followed by N bytes of a
// JSON object whose "type" names the message.  A declared length over the
// limit is refused before anything is allocated for it.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>

#include <boost/json/object.hpp>

namespace ebt::proto {

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

// A message's "type", or "?" when it has no string type.
std::string message_type(const boost::json::object& msg);

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

}  // namespace ebt::proto
