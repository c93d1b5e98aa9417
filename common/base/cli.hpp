// A small long-option parser shared by dpdk-gen and xdp-recv: "--name value"
// or "--name=value" for options that take a value, "--name" for switches.
// Errors are one line naming the option; mains print them and exit 2.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace ebt::cli {

class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct OptionSpec {
    std::string name;    // without the leading "--"
    bool takes_value;
    std::string metavar = {};  // --help: the value's placeholder ("FILE"), after the name
    std::string help = {};     // --help: the text; '\n' starts a continuation line
};

struct Parsed {
    std::map<std::string, std::string> values;  // options with a value
    std::vector<std::string> switches;          // switches given
    bool has(const std::string& name) const;
    const std::string* value(const std::string& name) const;
};

// argv[0] is skipped.  Throws UsageError for an unknown option (with the
// closest known one), a missing value, a value given to a switch, an option
// given twice or a stray positional argument.
Parsed parse(int argc, char** argv, const std::vector<OptionSpec>& specs);

// The --help lines of `specs` that have help text, in order: "  --NAME
// METAVAR", padded to `column` (or two spaces when longer), then the help;
// its continuation lines are indented to `column`.
std::string help_text(const std::vector<OptionSpec>& specs, std::size_t column);

// Levenshtein distance.
std::size_t edit_distance(const std::string& a, const std::string& b);

// The candidate closest to `word`, or "" when none is a plausible typo
// (distance above max(2, len/2)).  "Did you mean" hints for options and
// config keys.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace ebt::cli
