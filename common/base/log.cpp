#include "log.hpp"

#include "timestamp.hpp"

#include <cstdio>
#include <mutex>

namespace ebt::log {
namespace {

struct State {
    std::mutex mutex;
    std::string program = "ebpf-test";
    bool verbose = false;
    bool quiet = false;
    std::FILE* file = nullptr;
};

State& state() {
    static State s;
    return s;
}

const char* level_name(Level level) {
    switch (level) {
    case Level::Debug: return "DEBUG";
    case Level::Info: return "INFO";
    case Level::Warn: return "WARN";
    case Level::Error: return "ERROR";
    }
    return "?";
}

}  // namespace

void set_program(std::string_view name) {
    std::lock_guard lock(state().mutex);
    state().program = name;
}

void set_verbose(bool verbose) {
    std::lock_guard lock(state().mutex);
    state().verbose = verbose;
}

void set_quiet(bool quiet) {
    std::lock_guard lock(state().mutex);
    state().quiet = quiet;
}

bool open_file(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "a");
    if (f == nullptr) {
        warn("cannot open log file " + path);
        return false;
    }
    std::lock_guard lock(state().mutex);
    if (state().file != nullptr) std::fclose(state().file);
    state().file = f;
    return true;
}

void close_file() {
    std::lock_guard lock(state().mutex);
    if (state().file != nullptr) std::fclose(state().file);
    state().file = nullptr;
}

void write(Level level, std::string_view message) {
    State& s = state();
    std::lock_guard lock(s.mutex);
    if (level == Level::Debug && !s.verbose) return;
    const std::string line = now_iso8601() + " " + s.program + " " + level_name(level) + " " +
                             std::string(message) + "\n";
    if (!s.quiet || level == Level::Warn || level == Level::Error) std::fputs(line.c_str(), stderr);
    if (s.file != nullptr) {
        std::fputs(line.c_str(), s.file);
        std::fflush(s.file);
    }
}

}  // namespace ebt::log
