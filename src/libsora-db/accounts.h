// Accounts and credentials in PostgreSQL (internal to the core; sora-admin and
// the HTTP API use it). Addresses are compared case-insensitively: they are
// stored lower-case and every lookup lower-cases its argument.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sora/db.h"
#include "sora/result.h"
#include "sora/task.h"

namespace sora::accounts {

struct Credential {
  std::int64_t id = 0;
  std::int64_t account_id = 0;
  std::string address;
  bool primary = false;
  std::string created_at;  // ISO 8601, UTC
};

struct Account {
  std::int64_t id = 0;
  std::string primary_address;
  std::string display_name;
  std::string created_at;
  std::string updated_at;
  std::optional<std::string> deleted_at;  // set: soft-deleted
  std::vector<Credential> credentials;    // primary first
};

struct AccountUpdate {
  std::optional<std::string> display_name;
  std::optional<std::string> password_hash;  // of the primary credential
  std::optional<std::string> new_primary;    // an existing alias, or a new address
};

// Lower-cases and checks an address (local@domain, no spaces, at most 254
// bytes); kErrInvalid with a message naming the problem.
Result<std::string> normalize_address(std::string_view address);

class AccountStore {
 public:
  explicit AccountStore(Db& db) : db_(db) {}

  // kErrExists when the address is taken (also by a deleted account).
  Task<Result<Account>> create(std::string address, std::string password_hash,
                               std::string display_name);
  // By any of its addresses; deleted accounts too (deleted_at set).
  Task<Result<Account>> show(std::string address);
  Task<Result<std::vector<Account>>> list(bool include_deleted);
  Task<Result<Account>> update(std::string address, AccountUpdate change);
  // Soft delete: the account can no longer log in or receive mail; restore()
  // brings it back. kErrInvalid when already deleted / not deleted.
  Task<Result<Account>> remove(std::string address);
  Task<Result<Account>> restore(std::string address);

  Task<Result<Credential>> add_credential(std::string account_address, std::string address,
                                          std::string password_hash);
  Task<Result<std::vector<Credential>>> list_credentials(std::string account_address);
  // Refuses the primary credential (kErrInvalid): change the primary first.
  Task<Status> delete_credential(std::string address);

 private:
  Task<Result<Account>> set_deleted(std::string address, bool deleted);

  Db& db_;
};

}  // namespace sora::accounts
