// Timestamped logging to stderr and, once a results directory exists, to a
// log file there (src_machine.log / dst_machine.log).  Never
// used on a hot path: the TX loop and the XDP program do not log.
#pragma once

#include <string>
#include <string_view>

namespace ebt::log {

enum class Level { Debug, Info, Warn, Error };

// The program name that prefixes every line ("dpdk-gen", "xdp-recv").
void set_program(std::string_view name);
// --verbose: Debug lines are printed too.
void set_verbose(bool verbose);
// --quiet: Debug and Info lines go only to the log file, not to stderr.
void set_quiet(bool quiet);
// Start copying every line to this file (appending).  Returns false (and
// logs a warning) if it cannot be opened.
bool open_file(const std::string& path);
void close_file();

void write(Level level, std::string_view message);

inline void debug(std::string_view m) { write(Level::Debug, m); }
inline void info(std::string_view m) { write(Level::Info, m); }
inline void warn(std::string_view m) { write(Level::Warn, m); }
inline void error(std::string_view m) { write(Level::Error, m); }

}  // namespace ebt::log
