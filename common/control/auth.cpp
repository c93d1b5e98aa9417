#include "auth.hpp"

#include <array>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace ebt::auth {

namespace {

std::string to_hex(const unsigned char* p, std::size_t n) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out(2 * n, '0');
    for (std::size_t i = 0; i < n; ++i) {
        out[2 * i] = kDigits[p[i] >> 4];
        out[2 * i + 1] = kDigits[p[i] & 0xF];
    }
    return out;
}

std::string checked(std::string token, const std::string& origin) {
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ' ||
                              token.back() == '\t'))
        token.pop_back();
    if (token.size() < kMinTokenBytes)
        throw TokenError(origin + ": the shared secret must be at least " + std::to_string(kMinTokenBytes) +
                          " bytes, got " + std::to_string(token.size()));
    return token;
}

}  // namespace

std::optional<std::string> load_token(const std::optional<std::string>& token_file) {
    if (token_file) {
        std::ifstream in(*token_file);
        if (!in) throw TokenError("--token-file: cannot read '" + *token_file + "'");
        std::string line;
        std::getline(in, line);
        return checked(line, "--token-file " + *token_file);
    }
    if (const char* env = std::getenv(kTokenEnv); env != nullptr && *env != '\0')
        return checked(env, std::string("$") + kTokenEnv);
    return std::nullopt;
}

std::string new_challenge() {
    std::array<unsigned char, 32> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
        throw std::runtime_error("OpenSSL RAND_bytes failed: no randomness for the challenge");
    return to_hex(bytes.data(), bytes.size());
}

std::string response(std::string_view token, std::string_view role, std::string_view first,
                     std::string_view second) {
    std::string message;
    message.reserve(role.size() + first.size() + second.size() + 2);
    message.append(role).append("|").append(first).append("|").append(second);
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int mac_len = 0;
    if (HMAC(EVP_sha256(), token.data(), static_cast<int>(token.size()),
             reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(), &mac_len) ==
        nullptr)
        throw std::runtime_error("OpenSSL HMAC-SHA256 failed");
    return to_hex(mac.data(), mac_len);
}

bool equal(std::string_view a, std::string_view b) {
    // Length is not secret (always 64 hex digits for a well-formed response).
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace ebt::auth
