#include "core/blob_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/crypto.h"

namespace linli {

std::string BlobStore::PathOf(std::string_view hash) const {
  return dir_ + "/" + std::string(hash.substr(0, 2)) + "/" + std::string(hash);
}

Result<std::string> BlobStore::Put(std::string_view bytes) const {
  std::string hash = crypto::HashHex(bytes);
  std::string path = PathOf(hash);
  if (std::filesystem::exists(path)) return hash;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return Error::Unavailable("cannot create " + dir_ + ": " + ec.message());
  std::string tmp = path + ".tmp" + std::to_string(::getpid()) + "-" + crypto::RandomToken(6);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Error::Unavailable("cannot write to " + dir_);
  std::size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return Error::Unavailable("writing a file failed (disk full?)");
    }
    written += static_cast<std::size_t>(n);
  }
  bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Error::Unavailable("storing a file failed");
  }
  return hash;
}

Result<std::string> BlobStore::Get(std::string_view hash) const {
  if (hash.size() != 64 || hash.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
    return Error::Internal("bad blob hash");
  }
  std::ifstream in(PathOf(hash), std::ios::binary);
  if (!in) return Error::NotFound("the file is missing from " + dir_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace linli
