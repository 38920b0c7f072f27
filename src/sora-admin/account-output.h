// Accounts and credentials as text and as JSON. The formats are documented in
// the help texts (command-table.cc, usage.cc) and relied on by the tests.
#pragma once

#include <vector>

#include "libsora-db/accounts.h"
#include "sora-admin/output.h"

namespace sora::admin {

void print_account(const Output& out, const accounts::Account& account);
void print_accounts(const Output& out, const std::vector<accounts::Account>& accounts);
void print_credential(const Output& out, const accounts::Credential& credential);
void print_credentials(const Output& out, const std::vector<accounts::Credential>& credentials);

}  // namespace sora::admin
