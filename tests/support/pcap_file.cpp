#include "pcap_file.hpp"

#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <utility>

namespace ebt::test {

void write_pcap(const std::string& path, const std::vector<PcapRecord>& recs, int link, bool nano) {
    pcap_t* dead = pcap_open_dead_with_tstamp_precision(link, 65535,
                                                        nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
    ASSERT_NE(dead, nullptr);
    pcap_dumper_t* d = pcap_dump_open(dead, path.c_str());
    ASSERT_NE(d, nullptr) << pcap_geterr(dead);
    for (const auto& r : recs) {
        pcap_pkthdr h{};
        h.ts.tv_sec = static_cast<time_t>(r.ts_ns / 1000000000u);
        const uint64_t frac = r.ts_ns % 1000000000u;
        h.ts.tv_usec = static_cast<suseconds_t>(nano ? frac : frac / 1000);
        h.caplen = static_cast<bpf_u_int32>(r.bytes.size());
        h.len = r.wire_len ? r.wire_len : h.caplen;
        pcap_dump(reinterpret_cast<u_char*>(d), &h, r.bytes.data());
    }
    pcap_dump_close(d);
    pcap_close(dead);
}

void read_pcap_records(const std::string& path, std::vector<PcapRecord>& out) {
    out.clear();
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* pc = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
    ASSERT_NE(pc, nullptr) << err;
    pcap_pkthdr* h;
    const u_char* data;
    while (pcap_next_ex(pc, &h, &data) == 1) {
        PcapRecord r;
        r.bytes.assign(data, data + h->caplen);
        r.ts_ns = static_cast<uint64_t>(h->ts.tv_sec) * 1000000000u + static_cast<uint64_t>(h->ts.tv_usec);
        r.wire_len = h->len;
        out.push_back(std::move(r));
    }
    pcap_close(pc);
}

}  // namespace ebt::test
