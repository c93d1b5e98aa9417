// common/control/auth: HMAC-SHA256 challenge/response, fresh challenges,
// constant-time comparison and the shared token (file or environment).
#include <gtest/gtest.h>

#include "temp_dir.hpp"  // tests/support

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "auth.hpp"
#include "clock_sync.hpp"
#include "config.hpp"
#include "prometheus.hpp"
#include "require.hpp"

using ebt::test::TempDir;

TEST(Auth, ResponseIsHmacSha256OfRoleAndChallenges) {
    // Independent value: Python's hmac.new(key, b"generator|aa|bb", sha256).
    EXPECT_EQ(ebt::auth::response("0123456789abcdef-secret", "generator", "aa", "bb"),
              "0290506f703848282185156296e157071e45001ca1d7f577bcecea8644679278");
}

TEST(Auth, RoleAndOrderMatter) {
    const std::string k = "0123456789abcdef-secret";
    const auto g = ebt::auth::response(k, "generator", "aa", "bb");
    EXPECT_NE(g, ebt::auth::response(k, "receiver", "aa", "bb"));
    EXPECT_NE(g, ebt::auth::response(k, "generator", "bb", "aa"));
    EXPECT_NE(g, ebt::auth::response(k + "x", "generator", "aa", "bb"));
}

TEST(Auth, ChallengesAreFreshHex) {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        const std::string c = ebt::auth::new_challenge();
        ASSERT_EQ(c.size(), 64u);
        EXPECT_EQ(c.find_first_not_of("0123456789abcdef"), std::string::npos);
        EXPECT_TRUE(seen.insert(c).second);
    }
}

TEST(Auth, ConstantTimeEqual) {
    EXPECT_TRUE(ebt::auth::equal("abcd", "abcd"));
    EXPECT_FALSE(ebt::auth::equal("abcd", "abce"));
    EXPECT_FALSE(ebt::auth::equal("abcd", "abc"));
    EXPECT_FALSE(ebt::auth::equal("", "a"));
}

TEST(Auth, TokenFromFileAndEnvironment) {
    TempDir dir("ebt-sec-");
    unsetenv(ebt::auth::kTokenEnv);
    EXPECT_FALSE(ebt::auth::load_token(std::nullopt).has_value());
    EXPECT_EQ(ebt::auth::load_token(dir.write("t", "0123456789abcdef-secret\n")), "0123456789abcdef-secret");
    setenv(ebt::auth::kTokenEnv, "env-secret-0123456789", 1);
    EXPECT_EQ(ebt::auth::load_token(std::nullopt), "env-secret-0123456789");
    // The file wins over the environment.
    EXPECT_EQ(ebt::auth::load_token(dir.write("t2", "file-secret-0123456789")), "file-secret-0123456789");
    unsetenv(ebt::auth::kTokenEnv);
}

TEST(Auth, BadTokensAreTokenErrors) {
    TempDir dir("ebt-sec-");
    try {
        ebt::auth::load_token(dir.write("short", "tooshort\n"));
        FAIL() << "short token accepted";
    } catch (const ebt::auth::TokenError& e) {
        EXPECT_NE(std::string(e.what()).find("at least 16 bytes"), std::string::npos) << e.what();
    }
    try {
        ebt::auth::load_token(std::string("/nonexistent/token"));
        FAIL() << "missing file accepted";
    } catch (const ebt::auth::TokenError& e) {
        EXPECT_NE(std::string(e.what()).find("--token-file"), std::string::npos) << e.what();
    }
}
