// A test whose dependency is missing (promtool, python3-jsonschema, a
// second CPU, root...) skips on a developer's machine, but in CI (CI=true,
// exported by .ci/run) it fails: gtest counts a skip as a pass, and a CI
// run that skipped what it exists to check must not look green.
#pragma once

#include <cstdlib>
#include <string_view>

#include <gtest/gtest.h>

namespace ebt::test {

// CI=true (or 1), as .ci/run and most CI systems set it.
inline bool in_ci() {
    const char* v = std::getenv("CI");
    return v != nullptr && (std::string_view(v) == "true" || std::string_view(v) == "1");
}

}  // namespace ebt::test

// Skips the test unless `cond` holds; under CI a fatal failure instead.  A
// macro, because both GTEST_SKIP and FAIL return from the calling function
// (the test body or SetUp, where either stops the test).
#define REQUIRE_OR_SKIP(cond, reason)                                                       \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            if (::ebt::test::in_ci())                                                       \
                GTEST_FAIL() << "required in CI (CI=true), missing: " << reason;            \
            else                                                                            \
                GTEST_SKIP() << reason;                                                     \
        }                                                                                   \
    } while (0)
