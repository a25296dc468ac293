// Files kept outside the database under the hash of their content (<dir>/ab/abcdef…): the same
// photo uploaded twice is stored once, a stored file is never changed, and a database backup stays
// small. Writes are atomic (a temporary file, fsync, rename).
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace linli {

class BlobStore {
 public:
  explicit BlobStore(std::string dir) : dir_(std::move(dir)) {}
  // Stores the bytes; returns their hash (BLAKE2b-256, hex).
  Result<std::string> Put(std::string_view bytes) const;
  Result<std::string> Get(std::string_view hash) const;
  const std::string& dir() const { return dir_; }

 private:
  std::string PathOf(std::string_view hash) const;
  std::string dir_;
};

}  // namespace linli
