#include "prometheus.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace ebt {

namespace {

bool valid_name(const std::string& n, bool label) {
    if (n.empty()) return false;
    for (std::size_t i = 0; i < n.size(); ++i) {
        const char c = n[i];
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!label && c == ':');
        if (!(alpha || (i > 0 && c >= '0' && c <= '9'))) return false;
    }
    return !(label && n.rfind("__", 0) == 0);
}

std::string escape(const std::string& v, bool help) {
    std::string out;
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (c == '"' && !help) out += "\\\"";
        else out += c;
    }
    return out;
}

std::string number(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

}  // namespace

void PrometheusText::family(const std::string& name, Type type, const std::string& help) {
    if (!valid_name(name, false)) throw std::invalid_argument("invalid metric name '" + name + "'");
    const auto it = families_.find(name);
    if (it != families_.end()) {
        if (it->second.type != type) throw std::invalid_argument("metric '" + name + "' redeclared with another type");
        return;
    }
    families_.emplace(name, Family{type, help, {}});
    order_.push_back(name);
}

void PrometheusText::sample(const std::string& name, double value, const Labels& labels) {
    const auto it = families_.find(name);
    if (it == families_.end()) throw std::invalid_argument("metric '" + name + "' used before its family()");
    Family& f = it->second;
    if (f.lines.size() >= max_samples_) {
        ++dropped_;
        return;
    }
    std::string line = name;
    if (!labels.empty()) {
        line += '{';
        for (std::size_t i = 0; i < labels.size(); ++i) {
            if (!valid_name(labels[i].first, true))
                throw std::invalid_argument("invalid label name '" + labels[i].first + "'");
            if (i) line += ',';
            line += labels[i].first + "=\"" + escape(labels[i].second, false) + "\"";
        }
        line += '}';
    }
    line += ' ' + number(value);
    f.lines.push_back(std::move(line));
}

std::string PrometheusText::str() const {
    std::string out;
    for (const auto& name : order_) {
        const Family& f = families_.at(name);
        out += "# HELP " + name + " " + escape(f.help, true) + "\n";
        out += "# TYPE " + name + (f.type == Type::Counter ? " counter\n" : " gauge\n");
        for (const auto& l : f.lines) out += l + "\n";
    }
    out += "# HELP ebt_metrics_samples_dropped_total Samples left out by the per-family cardinality limit.\n"
           "# TYPE ebt_metrics_samples_dropped_total counter\n"
           "ebt_metrics_samples_dropped_total " + std::to_string(dropped_) + "\n";
    return out;
}

}  // namespace ebt
