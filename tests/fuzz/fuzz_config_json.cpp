// libFuzzer target: config_from_json (the "config" object of a configure
// message, i.e. what xdp-recv accepts from the network).  Input: JSON text;
// unparsable JSON is skipped (Boost.JSON's parser is not ours to fuzz).
// The only allowed failure is ConfigError; an accepted config must be a
// fixed point of to_json -> config_from_json.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    boost::system::error_code ec;
    const boost::json::value v =
        boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
    if (ec) return 0;
    ebt::TestConfig cfg;
    try {
        cfg = ebt::config_from_json(v);
    } catch (const ebt::ConfigError&) {
        return 0;
    }
    const boost::json::object j = ebt::to_json(cfg);
    try {
        if (ebt::to_json(ebt::config_from_json(j)) != j) {
            std::fprintf(stderr, "config_from_json(to_json(c)) differs:\n%s\n",
                         boost::json::serialize(j).c_str());
            std::abort();
        }
    } catch (const ebt::ConfigError& e) {
        std::fprintf(stderr, "accepted config refused after to_json: %s\n%s\n", e.what(),
                     boost::json::serialize(j).c_str());
        std::abort();
    }
    return 0;
}
