// The commands and options of sora-admin as data: the parser, the help text
// and the dispatcher all read these tables, so a command is declared once.
#pragma once

#include <span>
#include <string_view>

namespace sora::admin {

enum class CommandId {
  db_migrate,
  db_status,
  accounts_create,
  accounts_update,
  accounts_list,
  accounts_show,
  accounts_delete,
  accounts_restore,
  credentials_add,
  credentials_list,
  credentials_delete,
};

// Which command options a command accepts; global options are always allowed.
enum CommandOptions : unsigned {
  kOptName = 1u << 0,
  kOptPrimary = 1u << 1,
  kOptDeleted = 1u << 2,
  kOptPassword = 1u << 3,  // the password sources (--password-stdin ...)
};

struct GroupSpec {
  const char* name;
  const char* summary;
};

struct CommandSpec {
  CommandId id;
  const char* group;
  const char* name;
  const char* positionals[2];  // names of the required arguments, nullptr after the last
  unsigned options;            // CommandOptions
  const char* summary;         // one line for the command lists
  const char* details;         // what it does and prints, for its --help
};

enum class OptionId {
  config,
  conninfo,
  json,
  help,
  version,
  name,
  primary,
  deleted,
  password_prompt,
  password_stdin,
  password_file,
  password,
};

struct OptionSpec {
  OptionId id;
  const char* name;        // without the leading "--"
  const char* value_name;  // nullptr: a flag
  unsigned command_bit;    // 0: a global option
  const char* help;
};

std::span<const GroupSpec> command_groups();
std::span<const CommandSpec> commands();
std::span<const OptionSpec> options();

const GroupSpec* find_group(std::string_view name);
const CommandSpec* find_command(std::string_view group, std::string_view name);
const OptionSpec* find_option(std::string_view name);
const CommandSpec& command_spec(CommandId id);

std::size_t positional_count(const CommandSpec& spec);

}  // namespace sora::admin
