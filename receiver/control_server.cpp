// See control_server.hpp.
#include "control_server.hpp"

#include <iostream>
#include <map>
#include <memory>

#include <boost/asio/read.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "discovery.hpp"
#include "http_endpoint.hpp"
#include "log.hpp"
#include "receive_modes.hpp"

namespace ebt {

namespace asio = boost::asio;
using asio::ip::tcp;

ReceiverServer::ReceiverServer(asio::io_context& io, const ReceiverOptions& options)
    : io_(io), options_(options), acceptor_(io) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(options_.listen_address, ec);
    if (ec) throw std::runtime_error("--listen: '" + options_.listen_address + "' is not an IP address");
    const tcp::endpoint ep(address, options_.control_port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(8, ec);
    if (ec)
        throw std::runtime_error("cannot listen on " + options_.listen_address + ":" +
                                 std::to_string(options_.control_port) + ": " + ec.message());
    status_.modify([&](StatusSnapshot& st) {
        st.role = "receiver";
        st.interface = options_.interface;
        for (const auto& c : options_.checks) st.checks.push_back({c.item, c.ok, c.detail});
    });
    log::info("listening for dpdk-gen on " + options_.listen_address + ":" + std::to_string(options_.control_port) +
              " (interface " + options_.interface + "; HTTP /health /status /metrics on the same port)");
    log::info("receive modes served: " + modes_text(options_.modes) + " (default " +
              to_string(options_.default_mode()) + "; a test may ask for any of them)");
    if (options_.token)
        log::info("control connections must authenticate (HMAC-SHA256 with the shared secret)");
    else
        log::warn("no shared secret (--token-file or $EBT_TOKEN): accepting control connections only from "
                  "loopback and 198.18.0.0/15 (the RFC 2544 testbed range)");
    arm_accept();
}

void ReceiverServer::request_stop() {
    stop_requested_ = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    if (active_ != nullptr) active_->close();
}

void ReceiverServer::arm_accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
        if (ec) {
            if (ec != asio::error::operation_aborted && !stop_requested_) {
                log::warn("accept failed: " + ec.message());
                arm_accept();
            }
            return;
        }
        classify(std::move(socket));
        arm_accept();
    });
}

// Reads the first four bytes (under a deadline) to tell an HTTP request
// line from a control frame's length prefix, whose first byte is always 0.
void ReceiverServer::classify(tcp::socket socket) {
    struct Peek {
        tcp::socket socket;
        asio::steady_timer timer;
        std::string bytes = std::string(4, '\0');
    };
    auto peek = std::make_shared<Peek>(Peek{std::move(socket), asio::steady_timer(io_)});
    peek->timer.expires_after(proto::kClassifyTimeout);
    peek->timer.async_wait([peek](const boost::system::error_code& ec) {
        boost::system::error_code ignored;
        if (!ec) peek->socket.close(ignored);
    });
    asio::async_read(peek->socket, asio::buffer(peek->bytes), [this, peek](const boost::system::error_code& ec, std::size_t) {
        peek->timer.cancel();
        if (ec) return;  // closed or silent: nothing to answer
        if (http::looks_like_http(peek->bytes)) {
            http::start_serving(std::move(peek->socket), peek->bytes, status_handler(status_, options_.max_flow_labels),
                                proto::kHttpTimeout);
            return;
        }
        if (running_test_id_ != 0 || pending_ || active_ != nullptr) {
            answer_busy(std::move(peek->socket));
            return;
        }
        pending_.emplace(PendingControl{std::move(peek->socket), peek->bytes});
    });
}

int ReceiverServer::serve() {
    int status = 0;
    while (!stop_requested_) {
        io_.restart();
        while (!pending_ && !stop_requested_) io_.run_one();
        if (stop_requested_) break;
        PendingControl control = std::move(*pending_);
        pending_.reset();
        const SessionOutcome outcome = serve_connection(std::move(control.socket), std::move(control.initial));
        status_.modify([](StatusSnapshot& st) { st.state = "idle"; });
        if (outcome == SessionOutcome::NoTest) continue;  // refused, fetched or bad: not a test
        status = outcome == SessionOutcome::Complete ? 0 : 1;
        if (options_.once) break;
    }
    return status;
}

// One test at a time: tell the second controller who is busy.
void ReceiverServer::answer_busy(tcp::socket socket) {
    auto frame = std::make_shared<std::string>(proto::encode_frame(proto::make_busy(running_test_id_)));
    auto sock = std::make_shared<tcp::socket>(std::move(socket));
    asio::async_write(*sock, asio::buffer(*frame), [frame, sock](const boost::system::error_code&, std::size_t) {
        boost::system::error_code ignored;
        sock->shutdown(tcp::socket::shutdown_both, ignored);
        sock->close(ignored);
    });
    log::warn("refused a second controller: busy with test " + std::to_string(running_test_id_));
}

SessionOutcome ReceiverServer::serve_connection(tcp::socket socket, std::string initial) {
    proto::Channel channel(io_, std::move(socket), std::move(initial));
    active_ = &channel;
    struct ClearActive {
        proto::Channel*& p;
        uint16_t& id;
        ~ClearActive() {
            p = nullptr;
            id = 0;
        }
    } clear_active{active_, running_test_id_};
    ReceiverSession session(channel, {options_, options_.token, status_, stop_requested_, running_test_id_,
                                      last_results_});
    return session.run();
}

int serve_coordinated(const ReceiverOptions& options, const DiscoveryConfig& mdns_config) {
    try {
        asio::io_context io;
        std::optional<ReceiverServer> server_holder;
        try {
            server_holder.emplace(io, options);
        } catch (const std::exception& e) {
            std::cerr << "xdp-recv: error: control port: " << e.what() << "\n";
            return kExitEnvironment;
        }
        ReceiverServer& server = *server_holder;
        // mDNS: advertise the control port while serving (discovery.enabled).
        std::optional<discovery::Advertiser> mdns;
        if (mdns_config.enabled) {
            try {
                mdns.emplace(discovery::default_instance_name(), options.control_port,
                             std::map<std::string, std::string>{
                                 {"version", std::to_string(proto::kProtocolVersion)},
                                 {"interface", options.interface},
                                 {"software", EBT_SOFTWARE_VERSION}});
                if (mdns->wait_established(mdns_config.timeout))
                    log::info("advertised as '" + mdns->name() + "' (" + discovery::kServiceType + ")");
                else
                    log::warn("mDNS advertisement not established: " + mdns->error());
            } catch (const std::exception& e) {
                std::cerr << "xdp-recv: error: network_config.discovery: " << e.what() << "\n";
                return kExitEnvironment;
            }
        }
        asio::signal_set signals(io, SIGINT, SIGTERM);
        signals.async_wait([&](const boost::system::error_code& ec, int signo) {
            if (ec) return;
            log::info(std::string("caught ") + (signo == SIGINT ? "SIGINT" : "SIGTERM") + ", stopping");
            server.request_stop();
        });
        const int status = server.serve();
        log::info("exiting");
        return status;
    } catch (const std::exception& e) {
        log::error(e.what());
        return 1;
    }
}

}  // namespace ebt
