// See framing.hpp.
#include "framing.hpp"

#include <cstdint>
#include <string_view>

#include <boost/json.hpp>

namespace ebt::proto {

namespace json = boost::json;

std::string message_type(const json::object& msg) {
    const auto* t = msg.if_contains("type");
    return (t != nullptr && t->is_string()) ? std::string(t->as_string()) : std::string("?");
}

std::string encode_frame(const json::object& message) {
    const std::string body = json::serialize(message);
    const auto* t = message.if_contains("type");
    const std::size_t limit =
        t != nullptr && t->is_string() && t->as_string() == "results" ? kMaxResultsFrameBytes : kMaxFrameBytes;
    if (body.empty() || body.size() > limit)
        throw ProtocolError("message of " + std::to_string(body.size()) + " bytes exceeds the " +
                            std::to_string(limit) + "-byte frame limit");
    std::string frame(kLengthPrefixBytes, '\0');
    const auto n = static_cast<uint32_t>(body.size());
    frame[0] = static_cast<char>(n >> 24);
    frame[1] = static_cast<char>(n >> 16);
    frame[2] = static_cast<char>(n >> 8);
    frame[3] = static_cast<char>(n);
    frame += body;
    return frame;
}

void FrameDecoder::feed(const char* data, std::size_t size) { buffer_.append(data, size); }

std::optional<json::object> FrameDecoder::next() {
    if (buffer_.size() < kLengthPrefixBytes) return std::nullopt;
    const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data());
    const uint32_t n = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
    // Checked before waiting for (or keeping) the body: a huge declared
    // length costs nothing.
    if (n == 0 || n > limit_)
        throw ProtocolError("frame length " + std::to_string(n) + " outside 1.." + std::to_string(limit_));
    if (buffer_.size() < kLengthPrefixBytes + n) return std::nullopt;
    const std::string_view body(buffer_.data() + kLengthPrefixBytes, n);
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    buffer_.erase(0, kLengthPrefixBytes + n);
    if (ec) throw ProtocolError("malformed JSON in frame: " + ec.message());
    if (!v.is_object()) throw ProtocolError("frame body is not a JSON object");
    const auto* t = v.as_object().if_contains("type");
    if (t == nullptr || !t->is_string()) throw ProtocolError("message without a string \"type\"");
    return std::move(v.as_object());
}

}  // namespace ebt::proto
