// libFuzzer target: the control-protocol byte stream as xdp-recv and
// dpdk-gen read it.  The input is fed to a FrameDecoder in chunks whose sizes
// come from the first input byte (so frames split across reads are covered);
// every whole message is put through each validator (check_hello for both
// roles, parse_configure, parse_ready).  The only allowed failure is
// ProtocolError; after one the decoder is dropped, as a session would be.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "protocol.hpp"

namespace proto = ebt::proto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const size_t chunk = (data[0] % 16 == 0) ? size : data[0] % 16;
    ++data;
    --size;
    proto::FrameDecoder dec;
    try {
        for (size_t off = 0; off < size;) {
            const size_t n = std::min(chunk, size - off);
            dec.feed(reinterpret_cast<const char*>(data + off), n);
            off += n;
            while (auto msg = dec.next()) {
                if (msg->find("type") == msg->end() || !msg->at("type").is_string()) {
                    std::fprintf(stderr, "FrameDecoder returned a message without a string type\n");
                    std::abort();
                }
                try { proto::check_hello(*msg, "generator"); } catch (const proto::ProtocolError&) {}
                try { proto::check_hello(*msg, "receiver"); } catch (const proto::ProtocolError&) {}
                try {
                    const proto::Configure c = proto::parse_configure(*msg);
                    (void)c;
                } catch (const proto::ProtocolError&) {}
                try {
                    const proto::Ready r = proto::parse_ready(*msg);
                    (void)r;
                } catch (const proto::ProtocolError&) {}
            }
        }
        if (dec.buffered() > size) {
            std::fprintf(stderr, "FrameDecoder holds more bytes than it was fed\n");
            std::abort();
        }
    } catch (const proto::ProtocolError&) {
    }
    return 0;
}
