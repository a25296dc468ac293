// The administration subcommands of `linli`: user, apikey, org, audit, demo. They act as the
// operator at the machine (Caller::Cli) through the same services the API uses, so every change
// they make is validated and audited the same way.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

#include "service/services.h"

namespace linli::cli {

struct CliContext {
  // Opens the runtime on first use, so `--help` never touches the database.
  std::function<service::Services&()> services;
  int exit_code = 0;
};

// Adds the subcommands; returns a function that runs whichever one was parsed (true if one ran).
std::function<bool()> AddAdminCommands(CLI::App& app, CliContext& ctx);

}  // namespace linli::cli
