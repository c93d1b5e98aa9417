// The client side of a loopback TCP exchange, for tests of servers.
#pragma once

#include <cstdint>
#include <string>

namespace ebt::test {

// Connects to 127.0.0.1:`port`, sends `request`, reads until the server
// closes the connection (or an error), and returns everything received.
std::string tcp_exchange(uint16_t port, const std::string& request);

}  // namespace ebt::test
