// Field values taken from a fuzz input, front to back: the fuzz targets that
// build values from the input's bytes (fuzz_packet, fuzz_protocol) share it.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

namespace ebt::fuzz {

// Big-endian integers of 1..8 bytes (zeros once the input runs out), and
// values built from them.
struct Reader {
    const uint8_t* p;
    size_t n;
    uint64_t take(size_t bytes) {
        uint64_t v = 0;
        for (size_t i = 0; i < bytes; ++i) {
            v = v << 8 | (n > 0 ? *p : 0);
            if (n > 0) { ++p; --n; }
        }
        return v;
    }
    // Valid UTF-8 of up to 31 code points: ASCII (controls included) or a
    // 2-, 3- or 4-byte sequence, never a surrogate.
    std::string text() {
        std::string s;
        const auto count = static_cast<size_t>(take(1) % 32);
        for (size_t i = 0; i < count; ++i) {
            const auto b = static_cast<uint32_t>(take(1));
            uint32_t cp = b;
            if (b >= 0x80) {
                cp = static_cast<uint32_t>(take(3)) % 0x110000;
                if (cp >= 0xD800 && cp <= 0xDFFF) cp -= 0x800;   // no surrogates
                if (cp < 0x80) cp += 0x80;
            }
            if (cp < 0x80) {
                s += static_cast<char>(cp);
            } else if (cp < 0x800) {
                s += static_cast<char>(0xC0 | cp >> 6);
                s += static_cast<char>(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                s += static_cast<char>(0xE0 | cp >> 12);
                s += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
                s += static_cast<char>(0x80 | (cp & 0x3F));
            } else {
                s += static_cast<char>(0xF0 | cp >> 18);
                s += static_cast<char>(0x80 | (cp >> 12 & 0x3F));
                s += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
                s += static_cast<char>(0x80 | (cp & 0x3F));
            }
        }
        return s;
    }
    // "" or 64 lower-case hex digits (a challenge or response).
    std::string hex64() {
        if (take(1) % 2 == 0) return {};
        std::string s;
        for (int i = 0; i < 32; ++i) {
            char b[3];
            std::snprintf(b, sizeof b, "%02x", static_cast<unsigned>(take(1)));
            s += b;
        }
        return s;
    }
    // Any finite double (the bits as given; a NaN or infinity becomes a
    // plain value).
    double finite() {
        const uint64_t bits = take(8);
        double d;
        std::memcpy(&d, &bits, sizeof d);
        return std::isfinite(d) ? d : static_cast<double>(static_cast<int64_t>(bits));
    }
    // -1 (unknown) or a share in 0..100.
    double pct() {
        const uint64_t v = take(2);
        return v % 7 == 0 ? -1.0 : static_cast<double>(v % 10001) / 100.0;
    }
};

}  // namespace ebt::fuzz
