// Encryption of personal data at rest and the keyed blind indexes that find it again.
//
// One 32-byte master key lives in a key file beside the database (never in the database, so a
// copied database or backup alone reveals nothing). Two subkeys are derived from it with
// libsodium's KDF: one for XChaCha20-Poly1305 (AEAD) field encryption, one for keyed BLAKE2b
// blind indexes. The associated data binds each ciphertext to its table, column and row, so a
// ciphertext copied into another row or column does not decrypt.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace linli::crypto {

class FieldCrypto {
 public:
  // Reads the key file, creating it (mode 0600, 32 random bytes as hex) when it does not exist.
  static Result<std::shared_ptr<const FieldCrypto>> FromKeyFile(const std::string& path);
  // A key derived from a passphrase-like seed; for tests and benchmarks only.
  static std::shared_ptr<const FieldCrypto> ForTests(std::string_view seed);

  // "v1:" + base64(nonce || ciphertext). `context` is e.g. "residents.phone:42".
  std::string Seal(std::string_view plaintext, std::string_view context) const;
  Result<std::string> Open(std::string_view sealed, std::string_view context) const;
  // 32 hex characters; equal inputs of the same kind give equal outputs, and without the key
  // nobody can compute one (so a dump cannot be searched by guessing phone numbers).
  std::string BlindIndex(std::string_view kind, std::string_view value) const;

  explicit FieldCrypto(const std::array<unsigned char, 32>& master);

 private:
  std::array<unsigned char, 32> seal_key_{};
  std::array<unsigned char, 32> index_key_{};
};

}  // namespace linli::crypto
