// See baseline_receiver.hpp.
#include "baseline_receiver.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timex.h>
#include <unistd.h>

#include "histogram.hpp"
#include "log.hpp"
#include "packet.hpp"

namespace ebt {

namespace {

constexpr unsigned kBatch = 64;           // datagrams per recvmmsg
// Bytes read of each datagram: the test header is all the accounting needs;
// MSG_TRUNC makes recvmmsg report the full length anyway.
constexpr size_t kHeadBytes = 64;
constexpr size_t kControlBytes = 64;      // SCM_TIMESTAMPNS (32) + SO_RXQ_OVFL (16)
constexpr int kRcvBuf = 8 << 20;
constexpr uint64_t kEthHdr = 14, kUdpHdr = 8;

static_assert(sizeof(ebt_cpu_counters) % sizeof(__u64) == 0);
static_assert(std::atomic_ref<__u64>::required_alignment <= alignof(ebt_cpu_counters));
static_assert(std::atomic_ref<__u32>::required_alignment <= alignof(ebt_flow_state));
static_assert(offsetof(ebt_flow_state, lock) == 0);

// Single writer per counter (its receive thread), readers on other threads:
// relaxed atomic load/store, no read-modify-write needed.
template <typename U>   // uint64_t or __u64 (unsigned long vs unsigned long long)
inline void bump(U& c, uint64_t v) {
    std::atomic_ref<U> a(c);
    a.store(a.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
}
template <typename U>
inline U peek(const U& c) {
    return std::atomic_ref<U>(const_cast<U&>(c)).load(std::memory_order_relaxed);
}

// The flow's lock word (ebt_user_spin_lock, the layout of bpf_spin_lock):
// a test-and-test-and-set spin lock, as the BPF program's bpf_spin_lock.
class FlowLock {
public:
    explicit FlowLock(ebt_flow_state& fs) : word_(fs.lock.val) {
        for (;;) {
            __u32 expected = 0;
            if (word_.compare_exchange_weak(expected, 1, std::memory_order_acquire, std::memory_order_relaxed)) return;
            while (word_.load(std::memory_order_relaxed) != 0) __builtin_ia32_pause();
        }
    }
    ~FlowLock() { word_.store(0, std::memory_order_release); }
    FlowLock(const FlowLock&) = delete;
    FlowLock& operator=(const FlowLock&) = delete;

private:
    std::atomic_ref<__u32> word_;
};

// Every field but the lock (which only its atomic_ref may touch).
ebt_flow_state copy_without_lock(const ebt_flow_state& s) {
    ebt_flow_state o{};
    o.packets = s.packets;
    o.bytes = s.bytes;
    o.next_seq = s.next_seq;
    o.lost = s.lost;
    o.reordered = s.reordered;
    o.duplicates = s.duplicates;
    o.late = s.late;
    o.missing = s.missing;
    o.first_ns = s.first_ns;
    o.last_ns = s.last_ns;
    return o;
}

std::string endpoint(const std::string& address, uint16_t port) {
    return (address.find(':') != std::string::npos ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

[[noreturn]] void fail(const std::string& what, int err) { throw BaselineError(what + ": " + std::strerror(err)); }

void set_int(int fd, int level, int opt, int v, const char* name, const std::string& where) {
    if (setsockopt(fd, level, opt, &v, sizeof v) != 0) fail("baseline: " + where + ": setsockopt " + name, errno);
}

int64_t read_ns(clockid_t c) {
    timespec ts{};
    clock_gettime(c, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// CLOCK_TAI = CLOCK_REALTIME + the kernel's tai offset (whole seconds, one
// timekeeper): confirmed against the two clocks read back to back.
int kernel_tai_offset_s() {
    timex tx{};
    if (adjtimex(&tx) < 0) return -1;
    const int64_t real = read_ns(CLOCK_REALTIME);
    const int64_t tai = read_ns(CLOCK_TAI);
    const int64_t diff = tai - real - static_cast<int64_t>(tx.tai) * 1'000'000'000;
    return (diff >= 0 && diff < 1'000'000) ? tx.tai : -1;   // within 1 ms: the same offset
}

}  // namespace

unsigned default_baseline_threads() {
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1u : static_cast<unsigned>(std::min<long>(n, kMaxBaselineThreads));
}

BaselineReceiver::BaselineReceiver(const BaselineConfig& cfg) : cfg_(cfg) {
    if (cfg_.flows < 1 || cfg_.flows > EBT_MAX_FLOWS)
        throw BaselineError("baseline: flows " + std::to_string(cfg_.flows) + " outside 1.." +
                            std::to_string(EBT_MAX_FLOWS));
    if (cfg_.threads < 1 || cfg_.threads > kMaxBaselineThreads)
        throw BaselineError("baseline: threads " + std::to_string(cfg_.threads) + " outside 1.." +
                            std::to_string(kMaxBaselineThreads));
    const std::string where = "UDP " + endpoint(cfg_.address, cfg_.port);
    sockaddr_storage ss{};
    socklen_t sl = 0;
    int af = AF_INET;
    if (auto* s4 = reinterpret_cast<sockaddr_in*>(&ss); inet_pton(AF_INET, cfg_.address.c_str(), &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(cfg_.port);
        sl = sizeof(sockaddr_in);
    } else if (auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
               inet_pton(AF_INET6, cfg_.address.c_str(), &s6->sin6_addr) == 1) {
        af = AF_INET6;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(cfg_.port);
        sl = sizeof(sockaddr_in6);
        ip_header_len_ = 40;
    } else {
        throw BaselineError("baseline: '" + cfg_.address + "' is not an IPv4 or IPv6 address");
    }

    for (unsigned i = 0; i < cfg_.threads; ++i) {
        UniqueFd s(socket(af, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        if (s.get() < 0) fail("baseline: socket", errno);
        set_int(s.get(), SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT", where);
        if (af == AF_INET6) set_int(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY", where);
        // A deep queue: the receiver's scheduling gaps should not be loss.
        // SO_RCVBUFFORCE needs CAP_NET_ADMIN (xdp-recv runs as root); else
        // the sysctl-capped SO_RCVBUF.
        int v = kRcvBuf;
        if (setsockopt(s.get(), SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) != 0)
            set_int(s.get(), SOL_SOCKET, SO_RCVBUF, kRcvBuf, "SO_RCVBUF", where);
        set_int(s.get(), SOL_SOCKET, SO_TIMESTAMPNS, 1, "SO_TIMESTAMPNS", where);
        set_int(s.get(), SOL_SOCKET, SO_RXQ_OVFL, 1, "SO_RXQ_OVFL", where);
        if (bind(s.get(), reinterpret_cast<sockaddr*>(&ss), sl) != 0)
            fail("baseline: cannot bind " + where + " (the test's network_config.dst_machine.ip and "
                 "traffic_config.dst_port must be an address of this host and a port free or bound with "
                 "SO_REUSEPORT)", errno);
        sockets_.push_back(std::move(s));
        state_.push_back(std::make_unique<Thread>());
    }
    flows_.assign(cfg_.flows, ebt_flow_state{});
    stop_fd_ = UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (stop_fd_.get() < 0) fail("baseline: eventfd", errno);
    tai_offset_s_ = kernel_tai_offset_s();
}

BaselineReceiver::~BaselineReceiver() { stop(); }

void BaselineReceiver::start() {
    if (started_) throw BaselineError("baseline: started twice");
    started_ = true;
    // What queued since bind belongs to no window: discard it, remembering
    // each socket's cumulative drop count so drops are counted from here.
    std::array<uint8_t, kHeadBytes> buf{};
    alignas(cmsghdr) std::array<uint8_t, kControlBytes> ctl{};
    for (size_t i = 0; i < sockets_.size(); ++i) {
        for (;;) {
            iovec iov{buf.data(), buf.size()};
            msghdr m{};
            m.msg_iov = &iov;
            m.msg_iovlen = 1;
            m.msg_control = ctl.data();
            m.msg_controllen = ctl.size();
            if (recvmsg(sockets_[i].get(), &m, MSG_DONTWAIT | MSG_TRUNC) < 0) break;
            for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL)
                    std::memcpy(&state_[i]->last_drops, CMSG_DATA(c), sizeof(uint32_t));
        }
        const uint32_t base = state_[i]->last_drops;
        *state_[i] = Thread{};
        state_[i]->last_drops = base;
    }
    for (auto& f : flows_) f = ebt_flow_state{};
    if (tai_offset_s_ < 0)
        log::warn("baseline: the kernel's TAI offset could not be confirmed; arrival times are read with "
                  "clock_gettime(CLOCK_TAI) after recvmmsg");
    threads_.reserve(sockets_.size());
    for (unsigned i = 0; i < sockets_.size(); ++i) threads_.emplace_back([this, i] { run(i); });
}

void BaselineReceiver::stop() {
    if (threads_.empty()) return;
    stop_.store(true, std::memory_order_relaxed);
    const uint64_t one = 1;
    if (write(stop_fd_.get(), &one, sizeof one) < 0) { /* a full eventfd already wakes everyone */ }
    for (auto& t : threads_) t.join();
    threads_.clear();
}

// One datagram, exactly as xdp_recv_prog handles one frame.
void BaselineReceiver::account(Thread& t, const uint8_t* payload, size_t got, uint64_t datagram_len,
                               uint64_t now) {
    ebt_cpu_counters& c = t.counters;
    const uint64_t len = kEthHdr + cfg_.vlan_bytes + static_cast<uint64_t>(ip_header_len_) + kUdpHdr + datagram_len;
    bump(c.rx_packets, 1);
    bump(c.rx_bytes, len);
    // parse_test_header needs EBT_TEST_HDR_LEN bytes: as the program's check
    // that the header lies inside the UDP datagram.
    const auto h = parse_test_header(payload, std::min<uint64_t>(got, datagram_len));
    if (h) {
        if (!cfg_.any_test_id && h->test_id != cfg_.test_id) {
            bump(c.stale_packets, 1);
        } else if (h->flow_id < cfg_.flows) {
            bump(c.test_packets, 1);
            bump(c.test_bytes, len);
            if (cfg_.epoch_tai_ns != 0) {
                // The program's (__s64)(now - sent) - offset, computed modulo 2^64
                // as the BPF side does (no signed overflow on a garbage tx_ns).
                const uint64_t sent = cfg_.epoch_tai_ns + h->tx_ns;
                ebt_latency_account(&t.latency,
                                    static_cast<__s64>(now - sent - static_cast<uint64_t>(cfg_.clock_offset_ns)));
            }
            ebt_flow_state& fs = flows_[h->flow_id];
            FlowLock lock(fs);
            ebt_flow_account(&fs, h->seq, len, now);
            return;
        } else {
            bump(c.bad_flow_packets, 1);
        }
    }
    bump(c.other_packets, 1);
    bump(c.other_bytes, len);
}

void BaselineReceiver::run(unsigned idx) {
    Thread& t = *state_[idx];
    const int fd = sockets_[idx].get();
    // Buffers on this thread's stack, set up once; recvmmsg rewrites only
    // msg_len, msg_flags and msg_controllen.
    std::array<std::array<uint8_t, kHeadBytes>, kBatch> bufs;
    alignas(cmsghdr) std::array<std::array<uint8_t, kControlBytes>, kBatch> ctl;
    std::array<iovec, kBatch> iov;
    std::array<mmsghdr, kBatch> msgs{};
    for (unsigned i = 0; i < kBatch; ++i) {
        iov[i] = {bufs[i].data(), kHeadBytes};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_control = ctl[i].data();
    }
    const int64_t tai_ns = static_cast<int64_t>(tai_offset_s_) * 1'000'000'000;
    while (!stop_.load(std::memory_order_relaxed)) {
        for (auto& m : msgs) m.msg_hdr.msg_controllen = kControlBytes;
        const int n = recvmmsg(fd, msgs.data(), kBatch, MSG_DONTWAIT | MSG_TRUNC, nullptr);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                pollfd p[2] = {{fd, POLLIN, 0}, {stop_fd_.get(), POLLIN, 0}};
                if (poll(p, 2, -1) < 0 && errno != EINTR) {
                    log::error(std::string("baseline: poll: ") + std::strerror(errno));
                    return;
                }
                continue;
            }
            if (errno == EINTR) continue;
            log::error(std::string("baseline: recvmmsg: ") + std::strerror(errno) + "; receive thread " +
                       std::to_string(idx) + " stopped");
            return;
        }
        uint64_t user_now = 0;   // read once per batch, only if a datagram lacks a kernel stamp
        for (int i = 0; i < n; ++i) {
            msghdr& m = msgs[i].msg_hdr;
            uint64_t now = 0;
            for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
                if (c->cmsg_level != SOL_SOCKET) continue;
                if (c->cmsg_type == SCM_TIMESTAMPNS && tai_offset_s_ >= 0) {
                    timespec ts;
                    std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
                    now = static_cast<uint64_t>(static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec + tai_ns);
                } else if (c->cmsg_type == SO_RXQ_OVFL) {
                    uint32_t drops;
                    std::memcpy(&drops, CMSG_DATA(c), sizeof drops);
                    bump(t.stats.socket_drops, drops - t.last_drops);
                    t.last_drops = drops;
                }
            }
            if (now == 0) {
                if (user_now == 0) user_now = static_cast<uint64_t>(read_ns(CLOCK_TAI));
                now = user_now;
                bump(t.stats.user_timestamps, 1);
            } else {
                bump(t.stats.kernel_timestamps, 1);
            }
            account(t, bufs[i].data(), std::min<size_t>(msgs[i].msg_len, kHeadBytes), msgs[i].msg_len, now);
        }
    }
}

CpuTotals BaselineReceiver::read_totals() const {
    CpuTotals out{};
    // Every field is a __u64 counter (the static_assert above): summed as an array.
    auto* o = reinterpret_cast<__u64*>(&out);
    constexpr size_t kFields = sizeof(ebt_cpu_counters) / sizeof(__u64);
    for (const auto& t : state_) {
        const auto* f = reinterpret_cast<const __u64*>(&t->counters);
        for (size_t i = 0; i < kFields; ++i) o[i] += peek(f[i]);
    }
    return out;
}

std::vector<ebt_flow_state> BaselineReceiver::read_flows() const {
    std::vector<ebt_flow_state> out(flows_.size());
    auto& flows = const_cast<std::vector<ebt_flow_state>&>(flows_);
    for (size_t i = 0; i < flows.size(); ++i) {
        FlowLock lock(flows[i]);
        out[i] = copy_without_lock(flows[i]);
    }
    return out;
}

LatencyTotals BaselineReceiver::read_latency() const {
    if (running()) throw BaselineError("baseline: latency read while the receive threads run");
    LatencyTotals l{};
    for (const auto& t : state_) merge_histogram(l, t->latency);
    return l;
}

std::pair<uint64_t, uint64_t> BaselineReceiver::latency_count_sum() const {
    uint64_t n = 0, sum = 0;
    for (const auto& t : state_) {
        n += peek(t->latency.count);
        sum += peek(t->latency.sum_ns);
    }
    return {n, sum};
}

BaselineStats BaselineReceiver::read_stats() const {
    BaselineStats s;
    for (const auto& t : state_) {
        s.kernel_timestamps += peek(t->stats.kernel_timestamps);
        s.user_timestamps += peek(t->stats.user_timestamps);
        s.socket_drops += peek(t->stats.socket_drops);
    }
    return s;
}

}  // namespace ebt
