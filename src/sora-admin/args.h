// The command line of sora-admin, parsed without touching the configuration,
// the database or the terminal, so that it can be unit-tested on its own.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sora-admin/command-table.h"
#include "sora/result.h"

namespace sora::admin {

enum class PasswordSource {
  none,        // no option: prompt when stdin is a terminal, else refuse
  prompt,      // --password-prompt
  stdin_line,  // --password-stdin
  file,        // --password-file FILE
  argument,    // --password PASSWORD
};

struct Invocation {
  enum class Action { run, help, version };
  Action action = Action::run;
  // help: the command (or only the group) the help is for; both null for the
  // top-level help. run: the command, never null.
  const GroupSpec* group = nullptr;
  const CommandSpec* command = nullptr;
  std::vector<std::string> args;  // the command's positional arguments

  std::optional<std::string> config_path;
  std::optional<std::string> conninfo;
  bool json = false;

  std::optional<std::string> display_name;
  std::optional<std::string> new_primary;
  bool include_deleted = false;
  PasswordSource password_source = PasswordSource::none;
  std::string password_value;  // the FILE of --password-file or the PASSWORD of --password
};

struct ParseOutcome {
  // An error has code kErrUsage and a message without the "sora-admin: " prefix.
  Result<Invocation> invocation;
  // --json was given, so even a usage error is reported as JSON.
  bool json = false;
};

// `args` are the arguments after the program name. Options may come before,
// between or after the command words; `--` ends the options.
ParseOutcome parse_args(const std::vector<std::string>& args);

}  // namespace sora::admin
