// A fresh temporary directory, removed with everything in it.
#pragma once

#include <filesystem>
#include <string>

namespace ebt::test {

class TempDir {
public:
    // mkdtemp(<temp dir>/<prefix>XXXXXX); std::runtime_error when it fails.
    // The prefixes are the ones tests/integration/leftovers.sh knows.
    explicit TempDir(const std::string& prefix);
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::string str() const { return path_.string(); }
    // <dir>/<name>, not created.
    std::string file(const std::string& name) const { return (path_ / name).string(); }
    // <dir>/<name> holding `text`; its path.
    std::string write(const std::string& name, const std::string& text) const;

private:
    std::filesystem::path path_;
};

}  // namespace ebt::test
