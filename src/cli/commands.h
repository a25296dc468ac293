// The administration subcommands of `linli`: user, apikey, org, audit, demo. They act as the
// operator at the machine (Caller::Cli) through the same services the API uses, so every change
// they make is validated and audited the same way.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string_view>
#include <vector>

#include "service/services.h"

namespace linli::cli {

struct CliContext {
  // Opens the runtime on first use, so `--help` never touches the database.
  std::function<service::Services&()> services;
  int exit_code = 0;
};

// Adds the subcommands; returns a function that runs whichever one was parsed (true if one ran).
std::function<bool()> AddAdminCommands(CLI::App& app, CliContext& ctx);
// import, export, resident, geo: the population registry (registry_commands.cc).
std::function<bool()> AddRegistryCommands(CLI::App& app, CliContext& ctx);
// cases, categories: resident requests and grid events (case_commands.cc).
std::function<bool()> AddCaseCommands(CLI::App& app, CliContext& ctx);

// Each subcommand's runner; RunParsed returns a function that runs the one that was parsed.
using Runners = std::vector<std::pair<CLI::App*, std::function<int()>>>;
std::function<bool()> RunParsed(Runners runners, CliContext& ctx);

// `linli bench-data`: a synthetic region for the benchmarks (bench_data.cc).
int RunBenchData(service::Services& s, const std::string& scale, std::uint64_t seed);
// The tables it fills, whose secondary indexes it builds after the load instead of during it.
const std::vector<std::string_view>& BenchDataTables();

// Shared by the subcommands: print an error and return its exit code; find a node by code or id.
int Report(const Error& e);
Result<domain::OrgNode> ResolveNode(service::Services& s, const std::string& ref);
Result<storage::UserRecord> ResolveUser(service::Services& s, const std::string& username);

}  // namespace linli::cli
