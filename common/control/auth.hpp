// Shared-secret authentication for the control protocol: HMAC-SHA256
// challenge and response in both directions, so neither side ever sends the
// secret and neither can be driven (or impersonated) by a stranger.
//
//   G->R hello {challenge: cg}         R->G hello {challenge: cr, response: H("receiver", cg, cr)}
//   G->R auth  {response: H("generator", cr, cg)}
// where H(role, a, b) = hex(HMAC-SHA256(token, role "|" a "|" b)).  The role
// label keeps a response from being reflected back as the other side's.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ebt::auth {

// A shared secret that cannot be used: an unreadable file or one too short.
// what() is one line naming the file or the variable; mains print it and
// exit with status 2, as for a configuration error.
class TokenError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

inline constexpr std::size_t kMinTokenBytes = 16;
inline constexpr const char* kTokenEnv = "EBT_TOKEN";

// The shared secret from --token-file (first line, trailing whitespace
// removed) or, when no file is given, from $EBT_TOKEN.  nullopt when neither
// is set.  Throws TokenError for an unreadable file or a secret shorter than
// kMinTokenBytes.
std::optional<std::string> load_token(const std::optional<std::string>& token_file);

// 32 random bytes (OpenSSL RAND_bytes) as 64 lowercase hex digits.
std::string new_challenge();

// hex(HMAC-SHA256(token, role "|" first "|" second)).
std::string response(std::string_view token, std::string_view role, std::string_view first,
                     std::string_view second);

// Constant-time comparison (CRYPTO_memcmp): the time taken does not depend
// on where the inputs differ.
bool equal(std::string_view a, std::string_view b);

}  // namespace ebt::auth
