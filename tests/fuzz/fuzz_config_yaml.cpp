// libFuzzer target: the YAML config loader (common/config/config: apply_yaml_text,
// validate) on arbitrary text.  The only allowed failure is ConfigError;
// anything else (another exception, a crash, a sanitizer report) is a bug.
// A document that loads and validates must survive the JSON round trip that
// the control protocol performs (to_json -> config_from_json -> to_json).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string>

#include <boost/json/serialize.hpp>

#include "config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    ebt::TestConfig cfg;
    try {
        ebt::apply_yaml_text(cfg, text, "fuzz.yaml");
        ebt::validate(cfg);
    } catch (const ebt::ConfigError&) {
        return 0;
    }
    const boost::json::object j = ebt::to_json(cfg);
    ebt::TestConfig back;
    try {
        back = ebt::config_from_json(j);
    } catch (const ebt::ConfigError& e) {
        std::fprintf(stderr, "valid config refused after the JSON round trip: %s\n%s\n", e.what(),
                     boost::json::serialize(j).c_str());
        std::abort();
    }
    if (ebt::to_json(back) != j) {
        std::fprintf(stderr, "JSON round trip changed the config:\n%s\n%s\n",
                     boost::json::serialize(j).c_str(), boost::json::serialize(ebt::to_json(back)).c_str());
        std::abort();
    }
    return 0;
}
