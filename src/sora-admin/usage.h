// The help texts, built from the command and option tables.
#pragma once

#include <string>

#include "sora-admin/command-table.h"

namespace sora::admin {

std::string top_help();
std::string group_help(const GroupSpec& group);
std::string command_help(const CommandSpec& command);
std::string version_text();

// "accounts create ADDRESS [--name NAME] [PASSWORD-OPTION]"
std::string synopsis(const CommandSpec& command);

}  // namespace sora::admin
