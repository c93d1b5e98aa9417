#include "tcp_client.hpp"

#include <boost/asio.hpp>

namespace ebt::test {

std::string tcp_exchange(uint16_t port, const std::string& request) {
    namespace asio = boost::asio;
    using asio::ip::tcp;
    asio::io_context io;
    tcp::socket s(io);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    asio::write(s, asio::buffer(request));
    std::string out;
    boost::system::error_code ec;
    char buf[4096];
    for (;;) {
        const auto n = s.read_some(asio::buffer(buf), ec);
        out.append(buf, n);
        if (ec) break;
    }
    return out;
}

}  // namespace ebt::test
