#include "thread_sched.hpp"

#include <fstream>
#include <sstream>

#include <unistd.h>

namespace ebt {

namespace {
std::optional<std::string> slurp(const std::string& path) {
    std::ifstream f(path);
    if (!f) return std::nullopt;
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}
}  // namespace

std::optional<ThreadSchedStat> parse_thread_sched(const std::string& schedstat, const std::string& status) {
    ThreadSchedStat s;
    std::istringstream in(schedstat);
    if (!(in >> s.on_cpu_ns >> s.runqueue_wait_ns >> s.timeslices)) return std::nullopt;
    const std::string key = "nonvoluntary_ctxt_switches:";
    const auto at = status.find(key);
    if (at == std::string::npos) return std::nullopt;
    std::istringstream n(status.substr(at + key.size()));
    if (!(n >> s.involuntary_switches)) return std::nullopt;
    return s;
}

std::optional<ThreadSchedStat> read_thread_sched(pid_t tid) {
    const std::string dir = "/proc/self/task/" + std::to_string(tid) + "/";
    const auto schedstat = slurp(dir + "schedstat");
    const auto status = slurp(dir + "status");
    if (!schedstat || !status) return std::nullopt;
    return parse_thread_sched(*schedstat, *status);
}

}  // namespace ebt
