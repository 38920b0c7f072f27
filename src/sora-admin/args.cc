#include "sora-admin/args.h"

#include <cstddef>
#include <string_view>
#include <utility>

#include "sora-admin/exit-codes.h"

namespace sora::admin {

namespace {

Error usage_error(std::string message) { return make_error(kErrUsage, std::move(message)); }

std::string dashed(const OptionSpec& spec) { return std::string("--") + spec.name; }

struct GivenOption {
  const OptionSpec* spec;
  std::string value;
};

// The command line split into words and options, before the words are known
// to name a command: options may precede the command they belong to.
struct Scan {
  std::vector<std::string> words;
  std::vector<GivenOption> options;
  // The first problem found. Scanning goes on after it so that a --json later
  // on the line still makes the error come out as JSON.
  std::optional<Error> error;
  bool json = false;
};

void note(Scan& scan, Error error) {
  if (!scan.error) scan.error = std::move(error);
}

void add_option(Scan& scan, const OptionSpec& spec, std::string value) {
  if (spec.id == OptionId::json) scan.json = true;
  for (const auto& given : scan.options) {
    if (given.spec == &spec)
      return note(scan, usage_error("option " + dashed(spec) + " given twice"));
  }
  scan.options.push_back({&spec, std::move(value)});
}

// "--name VALUE" or "--name=VALUE"; advances `i` past a separate value.
void scan_long_option(Scan& scan, const std::vector<std::string>& args, std::size_t& i) {
  std::string_view token = args[i];
  token.remove_prefix(2);
  std::optional<std::string> inline_value;
  if (auto eq = token.find('='); eq != std::string_view::npos) {
    inline_value = std::string(token.substr(eq + 1));
    token = token.substr(0, eq);
  }
  const OptionSpec* spec = find_option(token);
  if (!spec) return note(scan, usage_error("unknown option --" + std::string(token)));
  if (!spec->value_name) {
    if (inline_value) return note(scan, usage_error("option " + dashed(*spec) + " takes no value"));
    return add_option(scan, *spec, {});
  }
  if (inline_value) return add_option(scan, *spec, std::move(*inline_value));
  if (i + 1 >= args.size()) {
    return note(scan,
                usage_error("option " + dashed(*spec) + " needs a value " + spec->value_name));
  }
  // The next word is the value even when it starts with '-': a password may.
  add_option(scan, *spec, args[++i]);
}

Scan scan_args(const std::vector<std::string>& args) {
  Scan scan;
  bool options_ended = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_ended || arg == "-" || !arg.starts_with('-')) {
      scan.words.push_back(arg);
    } else if (arg == "--") {
      options_ended = true;
    } else if (arg == "-h") {
      add_option(scan, *find_option("help"), {});
    } else if (arg.starts_with("--")) {
      scan_long_option(scan, args, i);
    } else {
      note(scan, usage_error("unknown option " + arg));
    }
  }
  return scan;
}

const GivenOption* given(const Scan& scan, OptionId id) {
  for (const auto& g : scan.options)
    if (g.spec->id == id) return &g;
  return nullptr;
}

void apply_global_options(const Scan& scan, Invocation& inv) {
  if (auto* g = given(scan, OptionId::config)) inv.config_path = g->value;
  if (auto* g = given(scan, OptionId::conninfo)) inv.conninfo = g->value;
  inv.json = scan.json;
}

PasswordSource password_source_of(OptionId id) {
  switch (id) {
    case OptionId::password_prompt:
      return PasswordSource::prompt;
    case OptionId::password_stdin:
      return PasswordSource::stdin_line;
    case OptionId::password_file:
      return PasswordSource::file;
    case OptionId::password:
      return PasswordSource::argument;
    default:
      return PasswordSource::none;
  }
}

std::string command_name(const CommandSpec& spec) {
  return std::string(spec.group) + " " + spec.name;
}

Status apply_command_option(const GivenOption& g, Invocation& inv) {
  const CommandSpec& cmd = *inv.command;
  if (!(g.spec->command_bit & cmd.options)) {
    return usage_error(command_name(cmd) + " does not take " + dashed(*g.spec) +
                       " (try sora-admin " + command_name(cmd) + " --help)");
  }
  switch (g.spec->id) {
    case OptionId::name:
      inv.display_name = g.value;
      break;
    case OptionId::primary:
      inv.new_primary = g.value;
      break;
    case OptionId::deleted:
      inv.include_deleted = true;
      break;
    default:
      if (inv.password_source != PasswordSource::none) {
        return usage_error(
            "give only one of --password-prompt, --password-stdin, "
            "--password-file and --password");
      }
      inv.password_source = password_source_of(g.spec->id);
      inv.password_value = g.value;
  }
  return {};
}

Status apply_command_options(const Scan& scan, Invocation& inv) {
  for (const auto& g : scan.options) {
    if (g.spec->command_bit == 0) continue;
    if (auto s = apply_command_option(g, inv); !s) return s;
  }
  return {};
}

Status take_positionals(const Scan& scan, Invocation& inv) {
  const CommandSpec& cmd = *inv.command;
  const std::size_t wanted = positional_count(cmd);
  const std::size_t got = scan.words.size() - 2;
  if (got < wanted) {
    return usage_error(command_name(cmd) + ": missing " + cmd.positionals[got] +
                       " (try sora-admin " + command_name(cmd) + " --help)");
  }
  if (got > wanted) {
    return usage_error(command_name(cmd) + ": unexpected argument '" + scan.words[2 + wanted] +
                       "'");
  }
  inv.args.assign(scan.words.begin() + 2, scan.words.end());
  return {};
}

// Refused here rather than by the database: an update that changes nothing
// is almost always a forgotten option.
Status check_update_changes_something(const Invocation& inv) {
  if (inv.command->id != CommandId::accounts_update) return {};
  if (inv.display_name || inv.new_primary || inv.password_source != PasswordSource::none) return {};
  return usage_error(
      "accounts update: nothing to change (give --name, --primary or a password option)");
}

// Finds the group and command the words name; with --help, as far as they go.
Status resolve_command(const Scan& scan, Invocation& inv, bool help) {
  if (scan.words.empty()) {
    if (help) return {};
    return usage_error("no command given (try sora-admin --help)");
  }
  const std::string& group = scan.words[0];
  inv.group = find_group(group);
  if (!inv.group) return usage_error("unknown command '" + group + "' (try sora-admin --help)");
  if (scan.words.size() < 2) {
    if (help) return {};
    return usage_error("no " + group + " command given (try sora-admin " + group + " --help)");
  }
  const std::string& name = scan.words[1];
  inv.command = find_command(group, name);
  if (!inv.command) {
    return usage_error("unknown command '" + group + " " + name + "' (try sora-admin " + group +
                       " --help)");
  }
  return {};
}

Result<Invocation> resolve(const Scan& scan) {
  if (scan.error) return *scan.error;
  Invocation inv;
  apply_global_options(scan, inv);
  if (given(scan, OptionId::version)) {
    inv.action = Invocation::Action::version;
    return inv;
  }
  const bool help = given(scan, OptionId::help) != nullptr;
  if (auto s = resolve_command(scan, inv, help); !s) return s.take_error();
  if (help) {
    inv.action = Invocation::Action::help;
    return inv;
  }
  if (auto s = take_positionals(scan, inv); !s) return s.take_error();
  if (auto s = apply_command_options(scan, inv); !s) return s.take_error();
  if (auto s = check_update_changes_something(inv); !s) return s.take_error();
  return inv;
}

}  // namespace

ParseOutcome parse_args(const std::vector<std::string>& args) {
  Scan scan = scan_args(args);
  return ParseOutcome{resolve(scan), scan.json};
}

}  // namespace sora::admin
