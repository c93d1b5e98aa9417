// The --pcap replay's burst source and file-timeline clock for the one TX
// loop (tx_loop.hpp).  Per packet: one copy of the frame from the prepared
// replay into the mbuf and, for stamped frames, stamp_frame() at that
// frame's offsets; no parsing, allocation or syscall.  One lcore replays the
// whole file (file order is the point of a replay).
#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <string>

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_memcpy.h>

#include "pcap_replay.hpp"
#include "tx_engine.hpp"
#include "tx_loop.hpp"

namespace ebt {

namespace {
struct RoomCheck {
    uint32_t frame_len;
    bool ok = true;
};
void check_room(rte_mempool*, void* arg, void* obj, unsigned) {
    auto& r = *static_cast<RoomCheck*>(arg);
    if (static_cast<rte_mbuf*>(obj)->buf_len < uint32_t{RTE_PKTMBUF_HEADROOM} + r.frame_len) r.ok = false;
}

uint64_t ns_to_ticks(uint64_t ns, uint64_t hz) {
    return static_cast<uint64_t>(static_cast<unsigned __int128>(ns) * hz / 1000000000u);
}

// The replay's frames in file order, looping.
class ReplaySource {
public:
    explicit ReplaySource(TxLcoreContext& c)
        : frames_(c.replay->frames.data()),
          data_(c.replay->data.data()),
          nframes_(static_cast<uint32_t>(c.replay->frames.size())),
          seq_(c.flow_seq.data()),
          fbytes_(c.flow_bytes.data()),
          refused_(c.flow_refused.data()),
          dropped_(c.flow_dropped.data()) {}

    uint64_t fill(rte_mbuf** pkts, uint32_t n, uint64_t tx_ns) {
        uint64_t burst_bytes = 0;
        for (uint32_t i = 0; i < n; ++i) {
            const ReplayFrame& f = frames_[cursor_];
            rte_mbuf* m = pkts[i];
            m->data_off = RTE_PKTMBUF_HEADROOM;
            uint8_t* d = static_cast<uint8_t*>(m->buf_addr) + RTE_PKTMBUF_HEADROOM;
            rte_memcpy(d, data_ + f.offset, f.len);
            if (f.flow != kUnstampedFlow) {
                stamp_frame(d, seq_[f.flow]++, tx_ns, f.at);
                fbytes_[f.flow] += f.len;
                ++stamped_;
            } else {
                ++unstamped_;
            }
            m->data_len = static_cast<uint16_t>(f.len);
            m->pkt_len = f.len;
            burst_bytes += f.len;
            pkt_frame_[i] = cursor_;
            if (++cursor_ == nframes_) cursor_ = 0;
        }
        return burst_bytes;
    }

    void refused(uint32_t i) {
        if (const uint32_t fl = frames_[pkt_frame_[i]].flow; fl != kUnstampedFlow) ++refused_[fl];
    }

    // Rolling the flows' seq back keeps every flow's seq contiguous and
    // equal to its sent count.
    uint64_t rollback(rte_mbuf**, uint32_t sent, uint32_t n) {
        uint64_t bytes = 0;
        for (uint32_t i = sent; i < n; ++i) {
            const ReplayFrame& f = frames_[pkt_frame_[i]];
            bytes += f.len;
            if (f.flow != kUnstampedFlow) {
                --seq_[f.flow];
                fbytes_[f.flow] -= f.len;
                ++dropped_[f.flow];
                --stamped_;
            } else {
                --unstamped_;
            }
        }
        return bytes;
    }

    void finish(TxLcoreContext& c) {
        for (uint32_t f = 0; f < c.plan.flow_count; ++f) c.flow_sent[f] = seq_[f];
        c.replay_stamped = stamped_;
        c.replay_unstamped = unstamped_;
    }

private:
    const ReplayFrame* frames_;
    const uint8_t* data_;
    uint32_t nframes_;
    uint32_t* seq_;
    uint64_t* fbytes_;
    uint64_t* refused_;
    uint64_t* dropped_;
    uint32_t cursor_ = 0;  // the next frame of the file
    uint64_t stamped_ = 0, unstamped_ = 0;
    uint32_t pkt_frame_[kMaxTxBurst];  // the frame of each mbuf (refusals, rollback)
};

// --pcap-timing file: a burst takes the packets due within `burst` mean gaps
// of its first one (so it bunches no more than a constant-rate burst at the
// file's mean rate) and leaves when its last one is due.  Planned once per
// burst, not per spin; the clock follows the file position itself (every
// planned burst is sent whole, or the loop ends).
class FileClock {
public:
    static constexpr bool kPaced = true;
    FileClock(const TxLcoreContext& c, uint64_t start, uint32_t burst)
        : frames_(c.replay->frames.data()),
          nframes_(static_cast<uint32_t>(c.replay->frames.size())),
          period_ns_(c.replay->period_ns),
          window_ns_(uint64_t{burst} * c.replay->mean_gap_ns),
          gap_ticks_(ns_to_ticks(c.replay->mean_gap_ns, c.tsc_hz)),
          hz_(c.tsc_hz),
          start_(start) {}

    void plan(uint64_t queued, uint32_t& n, uint64_t& due, uint64_t& span) {
        if (planned_at_ != queued) {
            planned_at_ = queued;
            const uint64_t first = pass_ * period_ns_ + frames_[frame_].rel_ns;
            uint64_t last = first;
            uint32_t k = 1;
            for (; k < n; ++k) {
                if (++frame_ == nframes_) {
                    frame_ = 0;
                    ++pass_;
                }
                const uint64_t d = pass_ * period_ns_ + frames_[frame_].rel_ns;
                if (d - first > window_ns_) break;
                last = d;
            }
            if (k == n && ++frame_ == nframes_) {  // the first frame of the next burst
                frame_ = 0;
                ++pass_;
            }
            planned_n_ = k;
            due_tsc_ = start_ + ns_to_ticks(last, hz_);
            span_ticks_ = ns_to_ticks(last - first, hz_) + gap_ticks_;
        }
        n = planned_n_;
        due = due_tsc_;
        span = span_ticks_;
    }

private:
    const ReplayFrame* frames_;
    uint32_t nframes_;
    uint64_t period_ns_, window_ns_, gap_ticks_, hz_, start_;
    uint32_t frame_ = 0;  // the first frame of the next burst to plan
    uint64_t pass_ = 0;   // passes over the file begun before it
    uint64_t planned_at_ = UINT64_MAX, due_tsc_ = 0, span_ticks_ = 0;
    uint32_t planned_n_ = 0;
};
}  // namespace

void prepare_pcap_lcore(TxLcoreContext& c) {
    if (c.replay == nullptr || c.replay->frames.empty()) throw std::invalid_argument("pcap lcore has no replay");
    const PcapReplay& r = *c.replay;
    const TxThreadPlan& p = c.plan;
    if (p.first_flow != 0 || p.flow_count != r.flows)
        throw std::invalid_argument("pcap lcore flows " + std::to_string(p.flow_count) + " != the replay's " +
                                    std::to_string(r.flows));
    if (c.replay_file_timing && r.period_ns == 0)
        throw std::invalid_argument("file timing needs a timeline longer than 0 ns");
    if (p.paced && !p.unlimited && p.total_packets > 0 && p.target_pps == 0 && !c.replay_file_timing)
        throw std::invalid_argument("pcap lcore has packets to send but a zero rate");
    if (c.tsc_hz == 0) throw std::invalid_argument("tsc_hz not set");
    if (c.pool == nullptr) throw std::invalid_argument("pcap lcore has no mbuf pool");
    RoomCheck room{r.max_len};
    rte_mempool_obj_iter(c.pool, check_room, &room);
    if (!room.ok)
        throw std::invalid_argument("mbuf data room too small for " + std::to_string(r.max_len) + "-byte frames");
    reset_tx_outputs(c);
}

int pcap_tx_lcore_main(void* arg) {
    auto& c = *static_cast<TxLcoreContext*>(arg);
    const TxThreadPlan plan = c.plan;
    if (c.replay == nullptr || c.pool == nullptr || c.tsc_hz == 0 || c.flow_seq.size() != plan.flow_count ||
        c.flow_bytes.size() != plan.flow_count || c.flow_refused.size() != plan.flow_count ||
        c.flow_dropped.size() != plan.flow_count || c.replay->flows != plan.flow_count) {
        c.rc = -EINVAL;
        c.stats.finished.store(true);
        return c.rc;
    }
    const bool paced = plan.paced && !plan.unlimited;
    if (!paced) return run_tx_loop<ReplaySource, UnpacedClock>(c);
    if (c.replay_file_timing) return run_tx_loop<ReplaySource, FileClock>(c);
    return run_tx_loop<ReplaySource, ConstantClock>(c);
}

}  // namespace ebt
