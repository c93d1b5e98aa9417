// Prometheus text exposition (format 0.0.4) for the /metrics endpoints:
// each metric family once, with its HELP and TYPE lines, then its samples.
// Label values are escaped; names are checked.  Cardinality is the caller's
// choice, bounded here by a per-family sample limit (extra samples are
// dropped and counted in ebt_metrics_samples_dropped_total).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ebt {

class PrometheusText {
public:
    enum class Type { Counter, Gauge };
    using Labels = std::vector<std::pair<std::string, std::string>>;

    explicit PrometheusText(std::size_t max_samples_per_family = 256) : max_samples_(max_samples_per_family) {}

    // Declares a family; must precede its samples.  Throws
    // std::invalid_argument for an invalid name or a redeclaration with
    // another type.
    void family(const std::string& name, Type type, const std::string& help);
    void sample(const std::string& name, double value, const Labels& labels = {});

    std::string str() const;

private:
    struct Family {
        Type type;
        std::string help;
        std::vector<std::string> lines;
    };
    std::size_t max_samples_;
    std::vector<std::string> order_;
    std::map<std::string, Family> families_;
    std::size_t dropped_ = 0;
};

}  // namespace ebt
