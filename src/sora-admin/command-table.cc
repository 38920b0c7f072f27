#include "sora-admin/command-table.h"

#include <cstdlib>
#include <iterator>

namespace sora::admin {

namespace {

const GroupSpec kGroups[] = {
    {"db", "the database schema"},
    {"accounts", "mail accounts"},
    {"credentials", "the addresses (login names and aliases) of an account"},
};

constexpr unsigned kPw = kOptPassword;

// The `details` texts document the text output the end-to-end tests rely on:
// change them together with output.cc and account-output.cc.
const CommandSpec kCommands[] = {
    {CommandId::db_migrate,
     "db",
     "migrate",
     {nullptr, nullptr},
     0,
     "apply pending schema migrations",
     "Applies every migration this build knows that the database lacks, in one\n"
     "transaction. Prints one line `applied: VERSION NAME` per migration, then\n"
     "`version: N`; JSON: {\"applied\": [{\"version\": N, \"name\": S}], \"version\": N}.\n"
     "Refuses (exit 76) a database newer than this build.\n"},
    {CommandId::db_status,
     "db",
     "status",
     {nullptr, nullptr},
     0,
     "compare the database schema with this build",
     "Prints `known_version: N`, `database_version: N` and `state: S`, where S is\n"
     "ok, pending (run `sora-admin db migrate`) or ahead (this build is older than\n"
     "the database); JSON: {\"known_version\": N, \"database_version\": N, \"state\": S}.\n"
     "Exits 0 when the state is ok and 76 otherwise, after printing the status.\n"},
    {CommandId::accounts_create,
     "accounts",
     "create",
     {"ADDRESS", nullptr},
     kOptName | kPw,
     "create an account whose primary address is ADDRESS",
     "Creates the account and prints it as `accounts show` does. The password is\n"
     "asked on the terminal unless a password option is given.\n"
     "Exits 73 when ADDRESS is taken (also by a deleted account), 65 when it is\ninvalid.\n"},
    {CommandId::accounts_update,
     "accounts",
     "update",
     {"ADDRESS", nullptr},
     kOptName | kOptPrimary | kPw,
     "change the name, primary address or password",
     "Changes what the options say and prints the account as `accounts show` does.\n"
     "--primary makes NEWADDRESS the primary address (an existing alias of the\n"
     "account, or a new address). A password option sets the password of the\n"
     "primary address; without one the password is left alone\n"
     "(--password-prompt asks for a new one on the terminal).\n"},
    {CommandId::accounts_list,
     "accounts",
     "list",
     {nullptr, nullptr},
     kOptDeleted,
     "list accounts",
     "Prints a header line `ID  PRIMARY_ADDRESS  DISPLAY_NAME  CREATED_AT  DELETED_AT`\n"
     "and one line per account, columns separated by at least two spaces; an empty\n"
     "value is shown as `-`. --deleted includes soft-deleted accounts.\n"
     "JSON: {\"accounts\": [ACCOUNT ...]} (see `sora-admin --help`).\n"},
    {CommandId::accounts_show,
     "accounts",
     "show",
     {"ADDRESS", nullptr},
     0,
     "show an account found by any of its addresses",
     "Prints `key: value` lines: id, primary_address, display_name, created_at,\n"
     "updated_at, deleted_at (`-` while the account is live), then one line\n"
     "`credential: ADDRESS` per address, `credential: ADDRESS (primary)` for the\n"
     "primary one, which comes first. Deleted accounts are shown too.\n"
     "JSON: ACCOUNT (see `sora-admin --help`).\n"},
    {CommandId::accounts_delete,
     "accounts",
     "delete",
     {"ADDRESS", nullptr},
     0,
     "soft-delete an account",
     "The account can no longer log in or receive mail; its mail is kept and\n"
     "`accounts restore` brings it back. Prints the account as `accounts show` does.\n"
     "Exits 65 when the account is already deleted.\n"},
    {CommandId::accounts_restore,
     "accounts",
     "restore",
     {"ADDRESS", nullptr},
     0,
     "restore a soft-deleted account",
     "Prints the account as `accounts show` does. Exits 65 when it is not deleted.\n"},
    {CommandId::credentials_add,
     "credentials",
     "add",
     {"ACCOUNT-ADDRESS", "NEW-ADDRESS"},
     kPw,
     "add an address (alias) with its own password to an account",
     "Prints `key: value` lines: id, account_id, address, primary, created_at.\n"
     "JSON: CREDENTIAL (see `sora-admin --help`). Exits 73 when NEW-ADDRESS is taken.\n"},
    {CommandId::credentials_list,
     "credentials",
     "list",
     {"ACCOUNT-ADDRESS", nullptr},
     0,
     "list the addresses of an account",
     "Prints a header line `ID  ADDRESS  PRIMARY  CREATED_AT` and one line per\n"
     "address, primary first; PRIMARY is yes or no.\n"
     "JSON: {\"credentials\": [CREDENTIAL ...]}.\n"},
    {CommandId::credentials_delete,
     "credentials",
     "delete",
     {"ADDRESS", nullptr},
     0,
     "remove an address from its account",
     "Prints `deleted: ADDRESS`; JSON: {\"deleted\": ADDRESS}. The primary address\n"
     "cannot be removed (exit 65): make another address primary first.\n"},
};

const OptionSpec kOptions[] = {
    {OptionId::config, "config", "FILE", 0,
     "configuration file (default: " SORA_SYSCONFDIR "/sora/sora.conf)"},
    {OptionId::conninfo, "conninfo", "STRING", 0,
     "overrides [postgresql] conninfo (also $SORA_CONNINFO)"},
    {OptionId::json, "json", nullptr, 0, "print one JSON document on stdout instead of text"},
    {OptionId::help, "help", nullptr, 0, "show help for the command given so far, and exit"},
    {OptionId::version, "version", nullptr, 0, "show the version, and exit"},
    {OptionId::name, "name", "NAME", kOptName, "display name of the account"},
    {OptionId::primary, "primary", "NEWADDRESS", kOptPrimary,
     "make NEWADDRESS the primary address"},
    {OptionId::deleted, "deleted", nullptr, kOptDeleted, "include soft-deleted accounts"},
    {OptionId::password_prompt, "password-prompt", nullptr, kPw,
     "ask twice on the terminal without echo (default)"},
    {OptionId::password_stdin, "password-stdin", nullptr, kPw, "the first line of standard input"},
    {OptionId::password_file, "password-file", "FILE", kPw, "the first line of FILE"},
    {OptionId::password, "password", "PASSWORD", kPw,
     "the password itself (other users see it: avoid)"},
};

}  // namespace

std::span<const GroupSpec> command_groups() { return kGroups; }
std::span<const CommandSpec> commands() { return kCommands; }
std::span<const OptionSpec> options() { return kOptions; }

const GroupSpec* find_group(std::string_view name) {
  for (const auto& g : kGroups)
    if (name == g.name) return &g;
  return nullptr;
}

const CommandSpec* find_command(std::string_view group, std::string_view name) {
  for (const auto& c : kCommands)
    if (group == c.group && name == c.name) return &c;
  return nullptr;
}

const OptionSpec* find_option(std::string_view name) {
  for (const auto& o : kOptions)
    if (name == o.name) return &o;
  return nullptr;
}

const CommandSpec& command_spec(CommandId id) {
  for (const auto& c : kCommands)
    if (c.id == id) return c;
  // Every CommandId has a row; reaching this is a bug in the table.
  std::abort();
}

std::size_t positional_count(const CommandSpec& spec) {
  std::size_t n = 0;
  while (n < std::size(spec.positionals) && spec.positionals[n]) ++n;
  return n;
}

}  // namespace sora::admin
