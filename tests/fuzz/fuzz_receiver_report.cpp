// libFuzzer target: receiver_report_from_json, the body of the receiver's
// results message as dpdk-gen takes it from the network.  Input: JSON text
// (unparsable JSON is skipped).  The only allowed failure is
// std::invalid_argument; an accepted report must survive to_json ->
// receiver_report_from_json unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "results.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    boost::system::error_code ec;
    const boost::json::value v =
        boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
    if (ec) return 0;
    ebt::ReceiverReport r;
    try {
        r = ebt::receiver_report_from_json(v);
    } catch (const std::invalid_argument&) {
        return 0;
    }
    const boost::json::object j = ebt::to_json(r);
    try {
        if (ebt::to_json(ebt::receiver_report_from_json(j)) != j) {
            std::fprintf(stderr, "report round trip differs:\n%s\n", boost::json::serialize(j).c_str());
            std::abort();
        }
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "accepted report refused after to_json: %s\n%s\n", e.what(),
                     boost::json::serialize(j).c_str());
        std::abort();
    }
    return 0;
}
