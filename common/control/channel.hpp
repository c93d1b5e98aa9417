// The control connection: a TCP channel carrying framed messages
// (framing.hpp) with a deadline on every operation.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/object.hpp>

#include "framing.hpp"

namespace ebt::proto {

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
