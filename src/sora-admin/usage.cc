#include "sora-admin/usage.h"
#include "sora/version.h"

#include <string_view>

namespace sora::admin {

namespace {

constexpr const char* kProgram = "sora-admin";

// Kept beside the table in exit-codes.h, whose comment is the reference.
constexpr const char* kExitCodes =
    "Exit status:\n"
    "   0  ok\n"
    "  64  usage: unknown command or option, missing argument, no password source\n"
    "  65  bad input data: invalid address, empty or mismatched password,\n"
    "      account already deleted (or not deleted, for restore)\n"
    "  67  the account or address does not exist\n"
    "  70  internal error\n"
    "  73  the address already exists\n"
    "  75  temporary failure: the database is unreachable or timed out\n"
    "  76  the database schema is behind or ahead of this build (see db status)\n"
    "  77  the database refused our credentials or permissions\n"
    "  78  configuration error\n";

constexpr const char* kOutput =
    "Output:\n"
    "  Text for people by default. With --json, one JSON document on stdout:\n"
    "  ACCOUNT is {\"id\", \"primary_address\", \"display_name\", \"created_at\",\n"
    "  \"updated_at\", \"deleted_at\" (null while live), \"credentials\": [CREDENTIAL]}\n"
    "  and CREDENTIAL is {\"id\", \"account_id\", \"address\", \"primary\", \"created_at\"};\n"
    "  times are ISO 8601 in UTC.\n"
    "  Errors are one line `sora-admin: MESSAGE` on stderr; with --json also\n"
    "  {\"error\": {\"code\": KIND, \"message\": MESSAGE}} on stdout, where KIND is\n"
    "  usage, invalid, not_found, exists, temporary, schema, permission, config\n"
    "  or internal.\n";

constexpr const char* kConfiguration =
    "Configuration:\n"
    "  sora-admin reads [postgresql] (the database) and [auth] (password_scheme,\n"
    "  bcrypt_cost) from the configuration file; the whole file must be valid.\n"
    "  The connection string is, first found: --conninfo, $SORA_CONNINFO,\n"
    "  [postgresql] conninfo. Every command but `db migrate` and `db status`\n"
    "  refuses to run against a database whose schema is not this build's.\n";

bool is_global(const OptionSpec& o) { return o.command_bit == 0; }

constexpr std::size_t kHelpColumn = 26;
constexpr std::size_t kWidth = 79;

// The help goes on a line of its own, indented, when it would not fit beside
// the option on an 80-column terminal.
std::string option_line(const OptionSpec& o) {
  std::string left = std::string("  --") + o.name;
  if (o.value_name) left += std::string(" ") + o.value_name;
  const std::string help = o.help;
  if (left.size() < kHelpColumn && kHelpColumn + help.size() <= kWidth) {
    left.resize(kHelpColumn, ' ');
    return left + help + "\n";
  }
  return left + "\n      " + help + "\n";
}

std::string option_lines(unsigned command_bits, bool globals) {
  std::string out;
  for (const auto& o : options()) {
    if (globals ? is_global(o) : (o.command_bit & command_bits) != 0) out += option_line(o);
  }
  return out;
}

std::string command_line(const CommandSpec& c) {
  std::string left = "  " + synopsis(c);
  return left + "\n      " + c.summary + "\n";
}

std::string command_list(std::string_view group) {
  std::string out;
  for (const auto& c : commands()) {
    if (group.empty() || group == c.group) out += command_line(c);
  }
  return out;
}

std::string usage_line(std::string_view rest) {
  return std::string("usage: ") + kProgram + " [OPTION ...] " + std::string(rest) + "\n";
}

}  // namespace

std::string synopsis(const CommandSpec& c) {
  std::string out = std::string(c.group) + " " + c.name;
  for (std::size_t i = 0; i < positional_count(c); ++i) out += std::string(" ") + c.positionals[i];
  for (const auto& o : options()) {
    if (!(o.command_bit & c.options) || o.command_bit == kOptPassword) continue;
    out +=
        std::string(" [--") + o.name + (o.value_name ? std::string(" ") + o.value_name : "") + "]";
  }
  if (c.options & kOptPassword) out += " [PASSWORD-OPTION]";
  return out;
}

std::string top_help() {
  return std::string("usage: ") + kProgram +
         " [--config FILE] [--conninfo STRING] [--json] COMMAND ...\n" + "       " + kProgram +
         " [COMMAND ...] --help | --version\n\n" +
         "Manage the accounts and the database schema of Sora, the mail store daemon.\n"
         "Options may come before or after the command words.\n\n"
         "Commands:\n" +
         command_list({}) + "\nOptions:\n" + option_lines(0, true) +
         "\nPassword options (PASSWORD-OPTION), one at most:\n" +
         option_lines(kOptPassword, false) +
         "  Without one, the password is asked twice on the terminal when stdin is\n"
         "  one, and the command fails (exit 64) otherwise. Empty passwords are refused.\n\n" +
         kConfiguration + "\n" + kOutput + "\n" + kExitCodes;
}

std::string group_help(const GroupSpec& group) {
  return usage_line(std::string(group.name) + " COMMAND ...") + "\n" + group.name + ": " +
         group.summary + "\n\nCommands:\n" + command_list(group.name) + "\nRun `" + kProgram + " " +
         group.name + " COMMAND --help` for details and\n`" + kProgram +
         " --help` for the options, output formats and exit codes.\n";
}

std::string command_help(const CommandSpec& c) {
  std::string out = usage_line(synopsis(c)) + "\n" + c.summary + ".\n\n" + c.details;
  const unsigned own = c.options & ~static_cast<unsigned>(kOptPassword);
  if (own) out += "\nOptions:\n" + option_lines(own, false);
  if (c.options & kOptPassword)
    out += "\nPassword options, one at most:\n" + option_lines(kOptPassword, false);
  out += "\nRun `" + std::string(kProgram) + " --help` for the global options and exit codes.\n";
  return out;
}

std::string version_text() { return std::string(kProgram) + " " SORA_VERSION_STRING "\n"; }

}  // namespace sora::admin
