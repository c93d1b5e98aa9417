#include "cli.hpp"

#include <algorithm>
#include <cstdint>
#include <numeric>

namespace ebt::cli {

bool Parsed::has(const std::string& name) const {
    return values.count(name) != 0 || std::find(switches.begin(), switches.end(), name) != switches.end();
}

const std::string* Parsed::value(const std::string& name) const {
    const auto it = values.find(name);
    return it == values.end() ? nullptr : &it->second;
}

std::string help_text(const std::vector<OptionSpec>& specs, std::size_t column) {
    std::string out;
    for (const auto& s : specs) {
        if (s.help.empty()) continue;
        std::string line = "  --" + s.name + (s.metavar.empty() ? "" : " " + s.metavar);
        line.append(line.size() + 2 <= column ? column - line.size() : 2, ' ');
        for (const char c : s.help) {
            line += c;
            if (c == '\n') line.append(column, ' ');
        }
        out += line + "\n";
    }
    return out;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    std::iota(row.begin(), row.end(), 0);
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
    std::string best;
    std::size_t best_d = SIZE_MAX;
    for (const auto& c : candidates)
        if (const std::size_t d = edit_distance(word, c); d < best_d) {
            best_d = d;
            best = c;
        }
    if (best.empty() || best_d > std::max<std::size_t>(2, word.size() / 2)) return "";
    return best;
}

Parsed parse(int argc, char** argv, const std::vector<OptionSpec>& specs) {
    Parsed out;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg.rfind("--", 0) != 0 || arg.size() == 2)
            throw UsageError("unexpected argument '" + arg + "' (options start with --)");
        std::string name = arg.substr(2);
        std::string inline_value;
        bool has_inline = false;
        if (const auto eq = name.find('='); eq != std::string::npos) {
            inline_value = name.substr(eq + 1);
            name.resize(eq);
            has_inline = true;
        }
        const auto spec = std::find_if(specs.begin(), specs.end(), [&](const OptionSpec& s) { return s.name == name; });
        if (spec == specs.end()) {
            std::vector<std::string> names;
            for (const auto& s : specs) names.push_back(s.name);
            const std::string best = closest_match(name, names);
            const std::string hint = best.empty() ? "" : " (did you mean '--" + best + "'?)";
            throw UsageError("unknown option '--" + name + "'" + hint);
        }
        if (out.has(name)) throw UsageError("option '--" + name + "' given twice");
        if (!spec->takes_value) {
            if (has_inline) throw UsageError("option '--" + name + "' takes no value");
            out.switches.push_back(name);
            continue;
        }
        if (has_inline) {
            out.values[name] = inline_value;
        } else {
            if (i + 1 >= argc) throw UsageError("option '--" + name + "' needs a value");
            out.values[name] = argv[++i];
        }
    }
    return out;
}

}  // namespace ebt::cli
