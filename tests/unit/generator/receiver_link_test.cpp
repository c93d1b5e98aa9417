// The peer-loss timeout is one constant, proto::kPeerLossTimeout: the
// generator's session machinery (ReceiverLink, against a fake receiver on
// loopback that answers the handshake and then goes silent) declares the
// receiver lost no sooner than that and within one heartbeat interval
// after it, and the figure the documents give is that constant.
// Runs with cwd = repo root (the documents).  No root; loopback only.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "receiver_link.hpp"
#include "protocol.hpp"

namespace {

namespace proto = ebt::proto;
using boost::asio::ip::tcp;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// xdp-recv's side as far as `started`, then silence: it only reads (and
// counts the generator's heartbeats) until the generator hangs up.
class SilentReceiver {
public:
    SilentReceiver() : acceptor_(io_, tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0)) {
        thread_ = std::thread([this] { serve(); });
    }
    ~SilentReceiver() { stop(); }
    void stop() {
        done_ = true;
        if (thread_.joinable()) thread_.join();
    }
    uint16_t port() const { return acceptor_.local_endpoint().port(); }
    int heartbeats() const { return heartbeats_; }
    const std::string& error() const { return error_; }   // after stop() only

private:
    void serve() {
        try {
            tcp::socket s = acceptor_.accept();
            proto::Channel ch(io_, std::move(s));
            proto::check_hello(ch.expect("hello", 10s), "generator");
            ch.send(proto::make_hello("receiver", "lo"), 5s);
            const auto conf = ch.expect("configure", 10s);
            const auto id = static_cast<uint16_t>(proto::get_uint(conf, "test_id", UINT16_MAX));
            ch.send(proto::make_ready(id, "lo", "02:00:00:00:00:02", "native"), 5s);
            ch.expect("start", 10s);
            ch.send(proto::make_started(id), 5s);
            while (!done_) {
                const auto m = ch.receive(100ms);   // throws once the generator closes
                if (m && proto::get_string(*m, "type") == "heartbeat") ++heartbeats_;
            }
        } catch (const proto::ProtocolError&) {
            // the generator closed the connection: the end of the test
        } catch (const std::exception& e) {
            error_ = e.what();
        }
    }

    boost::asio::io_context io_;
    tcp::acceptor acceptor_;
    std::atomic<bool> done_{false};
    std::atomic<int> heartbeats_{0};
    std::string error_;
    std::thread thread_;
};

TEST(PeerLoss, GeneratorDeclaresASilentReceiverLostAfterTheConstant) {
    SilentReceiver rx;
    ebt::TestConfig cfg;
    cfg.dst_machine.ip = "127.0.0.1";
    cfg.dst_machine.control_port = rx.port();
    std::string lost;
    Clock::duration after{};
    {
        ebt::ReceiverLink link(cfg, std::nullopt);
        link.configure(0x1234, 0, std::nullopt, cfg);
        link.start();
        const auto started = Clock::now();
        // Bounded: the loss must come within one heartbeat interval after
        // the timeout (poll waits at most 100 ms at a time).
        const auto limit = started + proto::kPeerLossTimeout + proto::kHeartbeatInterval;
        while (lost.empty() && Clock::now() < limit) {
            try {
                link.poll(100ms);
            } catch (const ebt::PeerLost& e) {
                lost = e.what();
            }
        }
        after = Clock::now() - started;
    }   // the link closes: the fake receiver stops
    rx.stop();
    EXPECT_EQ(rx.error(), "") << "the fake receiver failed";
    const int heartbeats = rx.heartbeats();
    ASSERT_FALSE(lost.empty()) << "no PeerLost within kPeerLossTimeout + kHeartbeatInterval of silence";
    EXPECT_GE(after, proto::kPeerLossTimeout) << "declared lost before kPeerLossTimeout of silence";
    // The message gives the silence it measured: at least the constant.
    std::smatch m;
    ASSERT_TRUE(std::regex_search(lost, m, std::regex("silent for ([0-9]+) ms"))) << lost;
    EXPECT_GE(std::stoll(m[1]), std::chrono::milliseconds(proto::kPeerLossTimeout).count()) << lost;
    // While it waited it kept its own heartbeat going, once per interval.
    EXPECT_GE(heartbeats, static_cast<int>(proto::kPeerLossTimeout / proto::kHeartbeatInterval) - 1);
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Every "<N> s" the documents give for peer loss is kPeerLossTimeout.
TEST(PeerLoss, TheDocumentsFigureIsTheConstant) {
    const long want = proto::kPeerLossTimeout.count();
    struct Doc {
        const char* file;
        const char* pattern;   // group 1: the seconds
        int at_least;          // matches expected
    };
    // README: "If either side goes silent for 3 s (a kill, a pulled cable) ...".
    // ARCHITECTURE.md: "Either side silent for 3 s ends the test ..." and
    // "... for 3 s declares the peer lost".
    for (const Doc d : {Doc{"README.md", R"(goes\s+silent\s+for\s+([0-9]+)\s+s\b)", 1},
                        Doc{"ARCHITECTURE.md", R"(side\s+silent\s+for\s+([0-9]+)\s+s\b)", 1},
                        Doc{"ARCHITECTURE.md", R"(for\s+([0-9]+)\s+s\s+declares\s+the\s+peer\s+lost)", 1}}) {
        SCOPED_TRACE(std::string(d.file) + ": " + d.pattern);
        const std::string text = read_text(d.file);
        ASSERT_FALSE(text.empty()) << "run from the repo root";
        int found = 0;
        const std::regex re(d.pattern);
        for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it) {
            ++found;
            EXPECT_EQ(std::stol((*it)[1]), want) << it->str();
        }
        EXPECT_GE(found, d.at_least) << "the sentence that gives the figure is gone";
    }
}

}  // namespace
