#include "service/caller.h"

#include <unistd.h>

#include <cstdlib>

namespace linli::service {

Caller Caller::Cli() {
  Caller c;
  c.principal.system = true;
  const char* user = std::getenv("USER");
  c.principal.username = std::string("cli:") + (user ? user : std::to_string(::getuid()));
  c.ip = "local";
  return c;
}

}  // namespace linli::service
