#include "core/crypto.h"

#include <sodium.h>

#include <atomic>
#include <stdexcept>

namespace linli::crypto {
namespace {
std::atomic<bool> cheap_passwords{false};

unsigned long long OpsLimit() {
  return cheap_passwords ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_INTERACTIVE;
}
std::size_t MemLimit() {
  return cheap_passwords ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_INTERACTIVE;
}
}  // namespace

void InitCrypto() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

void SetPasswordCostForTests(bool cheap) { cheap_passwords = cheap; }

std::string RandomToken(std::size_t n_bytes) {
  std::string raw(n_bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string out(sodium_base64_ENCODED_LEN(n_bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                    raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

std::string ToHex(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  out.pop_back();
  return out;
}

std::string RandomCode(std::size_t length, std::string_view alphabet) {
  const std::size_t n = alphabet.size();
  if (n == 0) return {};
  std::string out;
  out.reserve(length);
  if (n > 256) {
    while (out.size() < length) out += alphabet[randombytes_uniform(static_cast<std::uint32_t>(n))];
    return out;
  }
  // Random bytes drawn a buffer at a time (a character each drew its own: a getrandom system call
  // per character, 3 % of the server at public intake). A byte is kept only below the largest
  // multiple of the alphabet's size, so every character stays equally likely.
  const std::size_t limit = 256 - 256 % n;
  unsigned char bytes[64];
  while (out.size() < length) {
    randombytes_buf(bytes, sizeof bytes);
    for (unsigned char b : bytes) {
      if (b >= limit) continue;
      out += alphabet[b % n];
      if (out.size() == length) break;
    }
  }
  return out;
}

std::string HashHex(std::string_view data) {
  unsigned char digest[32];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size(), nullptr, 0);
  return ToHex(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  crypto_auth_hmacsha256_final(&st, mac);
  return ToHex(std::string_view(reinterpret_cast<const char*>(mac), sizeof mac));
}

Result<std::string> HashPassword(std::string_view password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), OpsLimit(), MemLimit()) != 0) {
    return Error::Internal("password hashing ran out of memory");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view stored_hash, std::string_view password) {
  std::string h(stored_hash);  // needs a NUL-terminated string
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

void BurnPasswordVerification(std::string_view password) {
  static const std::string dummy = [] {
    auto h = HashPassword("linli-timing-equaliser");
    return h ? *h : std::string();
  }();
  (void)VerifyPassword(dummy, password);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace linli::crypto
