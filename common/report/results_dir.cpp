// The results directory and its files, each written whole
// (write_file_atomic), in a fixed order with results.json last.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>

#include "json_text.hpp"
#include "report_detail.hpp"
#include "results.hpp"
#include "unique_fd.hpp"

namespace ebt {

namespace fs = std::filesystem;

using namespace report_detail;

namespace {

std::string sanitize(const std::string& name) {
    std::string out;
    for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') ? c : '_';
    return out.empty() ? std::string("test") : out;
}

void write_system_csvs(const std::filesystem::path& d, const std::optional<SystemReport>& s) {
    if (!s) return;
    write_file_atomic((d / "raw_data" / "system_cpu.csv").string(), system_cpu_csv(*s));
    write_file_atomic((d / "raw_data" / "system_mem_netdev.csv").string(), system_mem_netdev_csv(*s));
}

}  // namespace

std::string results_dir_name(const std::string& started_at_iso, const std::string& name) {
    // 2026-11-25T22:17:11.123Z -> 20261125_221711
    std::string digits;
    for (char c : started_at_iso.substr(0, 19))
        if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
    if (digits.size() != 14) digits = "00000000000000";
    return "test_" + digits.substr(0, 8) + "_" + digits.substr(8, 6) + "_" + sanitize(name);
}

std::string create_results_dir(const std::string& base, const std::string& side, const std::string& dir_name) {
    const fs::path parent = fs::path(base) / side;
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) throw std::runtime_error("cannot create results directory " + parent.string() + ": " + ec.message());
    // Two tests started in the same second with the same name get _2, _3...
    fs::path dir = parent / dir_name;
    for (int n = 2; ::mkdir(dir.c_str(), 0755) != 0; ++n) {
        if (errno != EEXIST || n > 1000)
            throw std::runtime_error("cannot create results directory " + dir.string() + ": " + std::strerror(errno));
        dir = parent / (dir_name + "_" + std::to_string(n));
    }
    fs::create_directories(dir / "raw_data", ec);
    if (ec) throw std::runtime_error("cannot create " + (dir / "raw_data").string() + ": " + ec.message());
    return dir.string();
}

namespace {

[[noreturn]] void fail_write(const std::string& what, const std::string& path, int err) {
    throw std::runtime_error("cannot " + what + " " + path + ": " + std::strerror(err));
}

// "<name>.<12 hex digits>.tmp": unique, so two writers never share a
// temporary (the old fixed "<name>.tmp" was clobbered by a second writer).
std::string temp_name(const std::string& name) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    char hex[13];
    std::snprintf(hex, sizeof hex, "%012llx", static_cast<unsigned long long>(rng() & 0xFFFFFFFFFFFFull));
    return name + "." + hex + ".tmp";
}

// All of text at fd (pwrite: the unnamed file has no other writer, and a
// short write or EINTR is carried on from where it stopped).
int write_all(int fd, const std::string& text) {
    for (size_t off = 0; off < text.size();) {
        const ssize_t n = ::pwrite(fd, text.data() + off, text.size() - off, static_cast<off_t>(off));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return n < 0 ? errno : EIO;
        off += static_cast<size_t>(n);
    }
    return 0;
}

}  // namespace

namespace detail {

// How it works, and what a kill at any point leaves (the SIGKILL loop in
// tests/integration/atomic_results.sh checks it on dpdk-gen):
//  1. Unnamed: the text goes into an O_TMPFILE inode of the target's
//     directory, fsync'ed, then linkat() gives it the target name, which
//     fails if the name exists.  Killed before the link: nothing (the kernel
//     frees the unnamed inode).  Results directories are new, so this is the
//     path write_results() takes for every file.
//     Replacing an existing file: linkat() to a unique "<name>.<hex>.tmp",
//     renameat() over the target (atomic).  Killed between those two: that
//     .tmp is left, the target still the old file (the one window).
//  2. Named (a filesystem without O_TMPFILE): the text goes into a new
//     "<name>.<hex>.tmp" (O_EXCL), fsync'ed, renamed over the target.  Killed
//     before the rename: that .tmp is left, never a partial target.
// Every failure removes what this call created, and the error names the
// file and the reason.  The directory is fsync'ed last, so after a crash
// the name holds either the old or the whole new content.
void write_file_atomic(const std::string& path, const std::string& text, TempKind kind) {
    const fs::path p(path);
    const std::string dir = p.has_parent_path() ? p.parent_path().string() : std::string(".");
    const std::string name = p.filename().string();
    if (name.empty() || name == "." || name == "..") fail_write("write", path, EISDIR);
    const UniqueFd dfd(::open(dir.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
    if (dfd.get() < 0) fail_write("write", path, errno);

    std::string temp;   // a name this call created, removed on failure
    int fd = -1;
    if (kind == TempKind::Unnamed) {
        fd = ::openat(dfd.get(), ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
        // No O_TMPFILE on this filesystem: the named way.
        if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) kind = TempKind::Named;
        else if (fd < 0) fail_write("write", path, errno);
    }
    if (kind == TempKind::Named) {
        for (int tries = 0; fd < 0; ++tries) {
            temp = temp_name(name);
            fd = ::openat(dfd.get(), temp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
            if (fd < 0 && (errno != EEXIST || tries >= 100)) fail_write("write", path, errno);
        }
    }
    const UniqueFd file(fd);
    auto fail = [&](const char* what, int err) {
        if (!temp.empty()) ::unlinkat(dfd.get(), temp.c_str(), 0);
        fail_write(what, path, err);
    };
    if (const int err = write_all(file.get(), text)) fail("write", err);
    if (::fsync(file.get()) != 0) fail("write", errno);

    if (kind == TempKind::Unnamed) {
        // linkat through /proc/self/fd: AT_EMPTY_PATH would need CAP_DAC_READ_SEARCH.
        const std::string self = "/proc/self/fd/" + std::to_string(file.get());
        if (::linkat(AT_FDCWD, self.c_str(), dfd.get(), name.c_str(), AT_SYMLINK_FOLLOW) != 0) {
            if (errno != EEXIST) fail("write", errno);
            for (int tries = 0;; ++tries) {
                temp = temp_name(name);
                if (::linkat(AT_FDCWD, self.c_str(), dfd.get(), temp.c_str(), AT_SYMLINK_FOLLOW) == 0) break;
                if (errno != EEXIST || tries >= 100) {
                    const int err = errno;
                    temp.clear();   // not created
                    fail("write", err);
                }
            }
        }
    }
    if (!temp.empty()) {
        if (::renameat(dfd.get(), temp.c_str(), dfd.get(), name.c_str()) != 0) fail("replace", errno);
        temp.clear();
    }
    // The name is in place; make it durable.  EINVAL/ENOTSUP: a filesystem
    // that cannot sync a directory (nothing to do).
    if (::fsync(dfd.get()) != 0 && errno != EINVAL && errno != ENOTSUP) fail_write("sync the directory of", path, errno);
}

}  // namespace detail

void write_file_atomic(const std::string& path, const std::string& text) {
    detail::write_file_atomic(path, text, detail::TempKind::Unnamed);
}

// The write order, each file whole (write_file_atomic) before the next is
// begun, so a kill or a failure at any point leaves a prefix of this list:
//   raw_data/tx_samples.csv, [receiver:] raw_data/rx_samples.csv,
//   [its system monitor:] raw_data/system_cpu.csv, raw_data/system_mem_netdev.csv,
//   results.csv, results.md, results.json.
// results.json last: its presence means every other file is complete (tests:
// results ResultsFiles.WriteOrderIsAPrefixOnFailure, atomic_results.sh).
void write_results(const std::string& dir, const TestRecord& r) {
    const fs::path d(dir);
    write_file_atomic((d / "raw_data" / "tx_samples.csv").string(), samples_csv(r.generator.samples));
    if (r.receiver) write_file_atomic((d / "raw_data" / "rx_samples.csv").string(), samples_csv(r.receiver->samples));
    if (r.receiver) write_system_csvs(d, r.receiver->system);
    write_file_atomic((d / "results.csv").string(), results_csv(r));
    write_file_atomic((d / "results.md").string(), results_markdown(r));
    write_file_atomic((d / "results.json").string(), json_text(results_json(r)) + "\n");
}

// The receiver's order: raw_data/rx_samples.csv, [monitor:] raw_data/system_cpu.csv,
// raw_data/system_mem_netdev.csv, results.json last (as above).
void write_receiver_results(const std::string& dir, const TestRecord& id, const ReceiverReport& report) {
    const fs::path d(dir);
    write_file_atomic((d / "raw_data" / "rx_samples.csv").string(), samples_csv(report.samples));
    write_system_csvs(d, report.system);
    write_file_atomic((d / "results.json").string(), json_text(receiver_results_json(id, report)) + "\n");
}

}  // namespace ebt
