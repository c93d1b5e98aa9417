#include "json_text.hpp"

#include <charconv>
#include <cmath>
#include <string_view>
#include <system_error>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

namespace ebt {

namespace json = boost::json;

std::string json_number_text(double d) {
    if (!std::isfinite(d)) return "null";
    if (d == 0) return std::signbit(d) ? "-0.0" : "0";
    // 1e-7 <= |d| < 1e21: the shortest round-trip digits in plain notation
    // take at most 26 characters (about ECMAScript's Number-to-string range);
    // outside it plain notation would run to hundreds of digits.
    const double a = std::fabs(d);
    char buf[64];
    const bool plain = a >= 1e-7 && a < 1e21;
    const auto r = std::to_chars(buf, buf + sizeof buf, d, plain ? std::chars_format::fixed : std::chars_format::scientific);
    if (r.ec != std::errc{}) return "null";  // cannot happen with 64 bytes; never throw from a writer
    std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
    if (plain) return std::string(s);
    // to_chars writes "1e-07" / "1e+300": drop the exponent's leading zeros.
    const size_t e = s.find('e');
    std::string out(s.substr(0, e + 2));  // mantissa, 'e', sign
    size_t i = e + 2;
    while (i + 1 < s.size() && s[i] == '0') ++i;
    out.append(s.substr(i));
    return out;
}

namespace {

void put_string(std::string& out, std::string_view s) { out += json::serialize(json::string(s)); }

void newline(std::string& out, bool pretty, int depth) {
    if (!pretty) return;
    out += '\n';
    out.append(static_cast<size_t>(depth) * 2, ' ');
}

void put(std::string& out, const json::value& v, bool pretty, int depth);

// An array's or an object's members between `open` and `close`, one per
// line when pretty; put_member(e) writes one.
template <class Container, class PutMember>
void put_members(std::string& out, const Container& c, char open, char close, bool pretty, int depth,
                 PutMember&& put_member) {
    out += open;
    if (c.empty()) {
        out += close;
        return;
    }
    bool first = true;
    for (const auto& e : c) {
        if (!first) out += ',';
        first = false;
        newline(out, pretty, depth + 1);
        put_member(e);
    }
    newline(out, pretty, depth);
    out += close;
}

// Recursive: our documents are a few levels deep, and boost::json::parse
// limits a parsed value's depth (32 by default).
void put(std::string& out, const json::value& v, bool pretty, int depth) {
    switch (v.kind()) {
    case json::kind::null: out += "null"; break;
    case json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case json::kind::int64: out += std::to_string(v.get_int64()); break;
    case json::kind::uint64: out += std::to_string(v.get_uint64()); break;
    case json::kind::double_: out += json_number_text(v.get_double()); break;
    case json::kind::string: put_string(out, v.get_string()); break;
    case json::kind::array:
        put_members(out, v.get_array(), '[', ']', pretty, depth,
                    [&](const json::value& e) { put(out, e, pretty, depth + 1); });
        break;
    case json::kind::object:
        put_members(out, v.get_object(), '{', '}', pretty, depth, [&](const json::key_value_pair& kv) {
            put_string(out, kv.key());
            out += pretty ? ": " : ":";
            put(out, kv.value(), pretty, depth + 1);
        });
        break;
    }
}

}  // namespace

std::string json_text(const json::value& v, bool pretty) {
    std::string out;
    put(out, v, pretty, 0);
    return out;
}

}  // namespace ebt
