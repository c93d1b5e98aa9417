// Inside the config library: the schema table's types.  One row per config
// key (config_schema.cpp) and one per config-key flag (config_flags.cpp)
// drive the YAML and JSON loaders, validate(), to_json(), the flag
// overrides and the flags' --help lines, so a new key is one row plus its
// use (and a field in TestConfig, which keeps the defaults).  The programs
// use config.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/json/fwd.hpp>

#include "config.hpp"

namespace ebt::config_detail {

struct Walker;
class Src;

enum class KeyType {
    Uint,     // an integer in lo..hi (or one of `values`)
    Seconds,  // a positive number of seconds
    Bool,
    String,   // any text `valid` accepts (nullptr: any)
    Enum,     // one of `values`
    Custom,   // its own reader, writer and check (composite keys)
};

// A simple key's value, as the loaders and the flags hand it over.
using Scalar = std::variant<uint64_t, double, bool, std::string>;

struct KeyDef {
    std::string path;                 // "network_config.dst_machine.ip"; "a[].b" is a field of a
                                      // list's items, read by the list's own (custom) reader
    KeyType type = KeyType::Custom;
    std::string expect;               // Uint, String, Custom: "expected ..." (Enum, Seconds and
                                      // Uint with values: derived, see expect_text())
    uint64_t lo = 0, hi = 0;          // Uint
    std::vector<std::string> values;  // Enum; Uint: the allowed values when not all of lo..hi
    bool (*valid)(const std::string&) = nullptr;  // String
    bool json_only = false;           // not in YAML (the results' record of the sources)

    // Simple keys: the field.
    void (*set)(TestConfig&, const Scalar&) = nullptr;
    Scalar (*get)(const TestConfig&) = nullptr;

    // Custom keys (Custom rows have read and write; check and from_text as needed).
    void (*read)(const Walker&, const Src&, const std::string& path, TestConfig&) = nullptr;
    boost::json::value (*write)(const TestConfig&) = nullptr;
    void (*check)(const TestConfig&) = nullptr;                   // validate(); any row
    bool (*from_text)(const std::string&, TestConfig&) = nullptr;  // a flag's text

    std::string expect_text() const;
    bool allows(const std::string& value) const;   // Enum, Uint with values
    bool item() const { return path.find("[]") != std::string::npos; }
};

// Every key, in results.json's order.
const std::vector<KeyDef>& keys();
// The row of `path`; throws std::out_of_range.
const KeyDef& key_def(std::string_view path);

inline constexpr std::string_view kPatternTypeKey = "traffic_config.patterns[].type";

// "expected X", "expected X or Y", "expected one of X, Y, Z".
std::string choice_expect(const std::vector<std::string>& values);

// The schema-driven operations (config.cpp's public functions use them).
void walk_document(const Walker& w, const Src& root, TestConfig& cfg);   // every key of a document
void check_keys(const TestConfig& cfg);                                  // every row's own check
boost::json::object keys_json(const TestConfig& cfg);                    // to_json
void apply_flags(TestConfig& cfg, const ConfigOverrides& o);            // the flag overrides

}  // namespace ebt::config_detail
