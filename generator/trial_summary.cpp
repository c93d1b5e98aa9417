#include "trial_summary.hpp"

#include <algorithm>
#include <fstream>
#include <thread>

#include <sys/utsname.h>
#include <unistd.h>

#include "json_text.hpp"
#include "results.hpp"
#include "run_info.hpp"

namespace ebt {

namespace json = boost::json;

namespace {

json::value opt(const std::optional<double>& v) { return v ? json::value(*v) : json::value(nullptr); }

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
        }
    return "unknown";
}

uint32_t on_wire_bytes(const SessionSummary& s) { return s.packet_size + 4; }

struct Overhead {
    double mean_s = 0, max_s = 0;
};
Overhead overhead(const SessionSummary& s) {
    Overhead o;
    for (const auto& t : s.trials) {
        o.mean_s += t.overhead_s;
        o.max_s = std::max(o.max_s, t.overhead_s);
    }
    if (!s.trials.empty()) o.mean_s /= static_cast<double>(s.trials.size());
    return o;
}

json::object trial_json(const TrialRow& t) {
    json::value latency = nullptr;
    if (t.latency) latency = json::object{{"p50", t.latency->p50_ns}, {"p99", t.latency->p99_ns}, {"max", t.latency->max_ns}};
    return json::object{{"index", t.index},
                        {"purpose", t.purpose},
                        {"load_pps", t.load_pps},
                        {"load_pct_of_line", opt(t.load_pct_of_line)},
                        {"duration_s", t.duration_s},
                        {"intended", t.intended},
                        {"sent", t.sent},
                        {"received", t.received},
                        {"loss_ratio", t.loss_ratio},
                        {"achieved_pps", t.achieved_pps},
                        {"generator_limited", t.generator_limited},
                        {"generator_limit_reason", t.generator_limit_reason},
                        {"latency_ns", latency},
                        {"receive_cpu_ns_per_packet", opt(t.receive_cpu_ns_per_packet)},
                        {"overhead_s", t.overhead_s},
                        {"dir", t.dir},
                        {"status", t.status}};
}

json::object goal_json(const search::GoalResult& g) {
    json::value repeats = nullptr;
    if (g.throughput_per_repeat_pps.size() > 1)
        repeats = json::object{{"count", g.throughput_per_repeat_pps.size()},
                               {"median_pps", opt(g.median_throughput_pps)},
                               {"min_pps", opt(g.min_throughput_pps)},
                               {"max_pps", opt(g.max_throughput_pps)}};
    return json::object{{"name", g.goal.name},
                        {"loss_ratio", g.goal.loss_ratio},
                        {"exceed_ratio", g.goal.exceed_ratio},
                        {"relative_width", g.goal.relative_width},
                        {"initial_trial_duration_s", g.goal.initial_trial_duration_s},
                        {"final_trial_duration_s", g.goal.final_trial_duration_s},
                        {"duration_sum_s", g.goal.duration_sum_s},
                        {"lower_bound_pps", opt(g.relevant_lower_bound_pps)},
                        {"upper_bound_pps", opt(g.relevant_upper_bound_pps)},
                        {"conditional_throughput_pps", opt(g.conditional_throughput_pps)},
                        {"max_load_is_lower_bound", g.max_load_is_lower_bound},
                        {"min_load_is_upper_bound", g.min_load_is_upper_bound},
                        {"generator_limited", g.generator_limited},
                        {"generator_limit_pps", opt(g.generator_limit_pps)},
                        {"repeats", repeats}};
}

json::value search_json(const SessionSummary& s) {
    if (!s.search) return nullptr;
    const SearchSummary& x = *s.search;
    json::array goals;
    for (const auto& g : x.result.goals) goals.push_back(goal_json(g));
    // The last confirmation decides (a failed one resumed the search).
    json::value confirmation = nullptr;
    if (!x.result.confirmations.empty()) {
        const auto& c = x.result.confirmations.back();
        confirmation = json::object{{"load_pps", c.load_pps}, {"duration_s", c.duration_s}, {"passed", c.passed}};
    }
    return json::object{{"preset", x.preset},
                        {"min_load_pps", x.config.min_load_pps},
                        {"max_load_pps", x.config.max_load_pps},
                        {"time_limit_s", x.config.time_limit_s},
                        {"time_limit_reached", x.result.time_limit_reached},
                        {"traffic_s", x.result.traffic_s},
                        {"trials", x.result.trials.size()},
                        {"goals", std::move(goals)},
                        {"confirmation", confirmation}};
}

std::string opt_text(const std::optional<double>& v, int digits) { return v ? fixed_text(*v, digits) : std::string("n/a"); }

}  // namespace

void fill_machine(SessionSummary& s) {
    char host[256] = {};
    s.hostname = gethostname(host, sizeof host - 1) == 0 && host[0] ? host : "unknown";
    utsname u{};
    s.kernel = uname(&u) == 0 ? u.release : "unknown";
    s.cpu = cpu_model();
    s.cpus = std::thread::hardware_concurrency();
}

json::object summary_json(const SessionSummary& s) {
    json::array trials;
    for (const auto& t : s.trials) trials.push_back(trial_json(t));
    const Overhead o = overhead(s);
    return json::object{
        {"schema", "ebpf-test/summary/1"},
        {"kind", s.kind},
        {"status", s.status},
        {"status_reason", s.status_reason},
        {"created_at", s.created_at},
        {"machine", json::object{{"hostname", s.hostname}, {"kernel", s.kernel}, {"cpu", s.cpu}, {"cpus", s.cpus}}},
        {"port", json::object{{"driver", s.port_driver},
                              {"link_speed_mbps", s.link_speed_mbps ? json::value(s.link_speed_mbps) : json::value(nullptr)}}},
        {"frame", json::object{{"on_wire_bytes", on_wire_bytes(s)}, {"packet_size", s.packet_size}}},
        {"flows", s.flows},
        {"receiver_mode", s.receiver_mode.empty() ? json::value(nullptr) : json::value(s.receiver_mode)},
        {"overhead", json::object{{"per_trial_mean_s", o.mean_s},
                                  {"per_trial_max_s", o.max_s},
                                  {"method", "wall time of each trial minus its traffic time"}}},
        {"trials", std::move(trials)},
        {"search", search_json(s)}};
}

std::string summary_csv(const SessionSummary& s) {
    std::string out =
        "index,purpose,load_pps,load_pct_of_line,duration_s,intended,sent,received,loss_ratio,achieved_pps,"
        "generator_limited,generator_limit_reason,latency_p50_ns,latency_p99_ns,latency_max_ns,"
        "receive_cpu_ns_per_packet,overhead_s,status,dir\n";
    for (const auto& t : s.trials) {
        out += std::to_string(t.index) + "," + t.purpose + "," + json_number_text(t.load_pps) + "," +
               (t.load_pct_of_line ? json_number_text(*t.load_pct_of_line) : "") + "," +
               json_number_text(t.duration_s) + "," + std::to_string(t.intended) + "," + std::to_string(t.sent) + "," +
               std::to_string(t.received) + "," + json_number_text(t.loss_ratio) + "," +
               json_number_text(t.achieved_pps) + "," + (t.generator_limited ? "true" : "false") + ",\"" +
               t.generator_limit_reason + "\"," +
               (t.latency ? std::to_string(t.latency->p50_ns) + "," + std::to_string(t.latency->p99_ns) + "," +
                                std::to_string(t.latency->max_ns)
                          : std::string(",,")) +
               "," + (t.receive_cpu_ns_per_packet ? json_number_text(*t.receive_cpu_ns_per_packet) : "") + "," +
               json_number_text(t.overhead_s) + "," + t.status + "," + t.dir + "\n";
    }
    return out;
}

std::string summary_markdown(const SessionSummary& s) {
    std::string md = "# " + std::string(s.kind == "search" ? "Throughput search" : "Sweep") + ", " +
                     std::to_string(on_wire_bytes(s)) + "-byte frames\n\n";
    md += "Frame sizes are on the wire, including the 4-byte FCS (packet_size " + std::to_string(s.packet_size) +
          "). " + std::to_string(s.flows) + " flows, receiver mode " + s.receiver_mode + ".\n\n";
    md += "Machine " + s.hostname + ", kernel " + s.kernel + ", " + s.cpu + " (" + std::to_string(s.cpus) +
          " CPUs); port " + s.port_driver + ", link " +
          (s.link_speed_mbps ? std::to_string(s.link_speed_mbps) + " Mbit/s" : std::string("speed unknown")) + "; " +
          s.created_at + ".\n\n";
    if (s.search) {
        const auto& x = *s.search;
        md += "## Result (" + x.preset + ")\n\n| goal | loss ratio | lower bound (pps) | upper bound (pps) | "
              "conditional throughput (pps) | flags |\n|---|---|---|---|---|---|\n";
        for (const auto& g : x.result.goals) {
            std::string flags;
            if (g.generator_limited)
                flags += "generator-limited (the generator, not the device, was the limit" +
                         (g.generator_limit_pps ? ", at " + fixed_text(*g.generator_limit_pps, 0) + " pps" : std::string()) +
                         "); ";
            if (g.max_load_is_lower_bound) flags += "max load passed: the device can do at least that; ";
            if (g.min_load_is_upper_bound) flags += "min load failed; ";
            md += "| " + g.goal.name + " | " + json_number_text(g.goal.loss_ratio) + " | " +
                  opt_text(g.relevant_lower_bound_pps, 0) + " | " + opt_text(g.relevant_upper_bound_pps, 0) + " | " +
                  opt_text(g.conditional_throughput_pps, 0) + " | " + flags + " |\n";
        }
        md += "\n" + std::to_string(x.result.trials.size()) + " search trials, " + fixed_text(x.result.traffic_s, 1) +
              " s of traffic" + (x.result.time_limit_reached ? "; the time limit was reached" : "") + ".\n\n";
    }
    if (s.status != "complete") md += "**Incomplete:** " + s.status_reason + "\n\n";
    const Overhead o = overhead(s);
    md += "Trial overhead (wall time beyond the traffic): mean " + fixed_text(o.mean_s, 3) + " s, max " + fixed_text(o.max_s, 3) +
          " s.\n\n## Trials\n\n| # | purpose | load (pps) | duration (s) | sent | received | loss ratio | "
          "generator-limited | p99 latency (ns) | dir |\n|---|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& t : s.trials)
        md += "| " + std::to_string(t.index) + " | " + t.purpose + " | " + fixed_text(t.load_pps, 0) + " | " +
              fixed_text(t.duration_s, 3) + " | " + std::to_string(t.sent) + " | " + std::to_string(t.received) + " | " +
              json_number_text(t.loss_ratio) + " | " +
              (t.generator_limited ? "yes: " + t.generator_limit_reason : std::string("no")) + " | " +
              (t.latency ? std::to_string(t.latency->p99_ns) : std::string("n/a")) + " | " + t.dir + " |\n";
    return md;
}

void write_summary(const std::string& dir, const SessionSummary& s) {
    write_file_atomic(dir + "/summary.csv", summary_csv(s));
    write_file_atomic(dir + "/summary.md", summary_markdown(s));
    write_file_atomic(dir + "/summary.json", json_text(summary_json(s), true) + "\n");
}

}  // namespace ebt
