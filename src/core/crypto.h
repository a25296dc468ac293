// The few cryptographic primitives Linli needs, all from libsodium: random tokens, keyed and
// unkeyed BLAKE2b digests, Argon2id password hashes, constant-time comparison.
// Call InitCrypto() once before anything else (the binary and the test mains do).
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace linli::crypto {

void InitCrypto();

// n random bytes encoded as URL-safe base64 without padding.
std::string RandomToken(std::size_t n_bytes = 32);

// `length` characters drawn uniformly from `alphabet` (at most 256 characters): codes people read
// out or type, such as a case's tracking code.
std::string RandomCode(std::size_t length, std::string_view alphabet);

// BLAKE2b-256 of data, as 64 lowercase hex characters.
std::string HashHex(std::string_view data);

// HMAC-SHA-256 of data under key, as 64 lowercase hex characters: how outbound webhooks are signed,
// because every receiving language has it in its standard library.
std::string HmacSha256Hex(std::string_view key, std::string_view data);

// Argon2id in libsodium's self-describing string format ("$argon2id$v=19$m=...").
// The cost is the "interactive" limit by default; tests may lower it with SetPasswordCostForTests.
Result<std::string> HashPassword(std::string_view password);
bool VerifyPassword(std::string_view stored_hash, std::string_view password);
// Spend the same time as a verification, for unknown users, so timing does not reveal them.
void BurnPasswordVerification(std::string_view password);
void SetPasswordCostForTests(bool cheap);

bool ConstantTimeEquals(std::string_view a, std::string_view b);

std::string ToHex(std::string_view bytes);

}  // namespace linli::crypto
