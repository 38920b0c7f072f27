#include "libsora-db/accounts.h"

#include <map>
#include <utility>

namespace sora::accounts {

namespace {

constexpr std::size_t kMaxAddress = 254;  // RFC 5321's path limit less the brackets

// Timestamps leave the database as ISO 8601 in UTC, whatever its TimeZone.
#define SORA_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

// Columns 0-4 the account, 5-8 one of its credentials: one row per credential.
constexpr const char* kAccountSelect =
    "SELECT a.id, a.display_name, " SORA_TS("a.created_at") ", " SORA_TS("a.updated_at") ", " SORA_TS(
        "a.deleted_at") ", c.id, c.address, c.is_primary, " SORA_TS("c.created_at")
    " FROM accounts a JOIN credentials c ON c.account_id = a.id ";
constexpr const char* kAccountOrder = " ORDER BY a.id, c.is_primary DESC, c.address";

// In the order credential_at() reads, then the account id.
constexpr const char* kCredentialColumns = "id, address, is_primary, " SORA_TS("created_at") ", account_id";

Credential credential_at(const DbResult& r, int row, int col, std::int64_t account_id) {
  Credential c;
  c.id = r.int64(row, col);
  c.account_id = account_id;
  c.address = r.str(row, col + 1);
  c.primary = r.boolean(row, col + 2);
  c.created_at = r.str(row, col + 3);
  return c;
}

std::vector<Account> accounts_of(const DbResult& r) {
  std::vector<Account> out;
  for (int row = 0; row < r.rows(); ++row) {
    std::int64_t id = r.int64(row, 0);
    if (out.empty() || out.back().id != id) {
      Account a;
      a.id = id;
      a.display_name = r.str(row, 1);
      a.created_at = r.str(row, 2);
      a.updated_at = r.str(row, 3);
      if (!r.is_null(row, 4)) a.deleted_at = r.str(row, 4);
      out.push_back(std::move(a));
    }
    Credential c = credential_at(r, row, 5, id);
    if (c.primary) out.back().primary_address = c.address;
    out.back().credentials.push_back(std::move(c));
  }
  return out;
}

Error not_found(const std::string& address) {
  return make_error(kErrNotFound, "no account has the address " + address);
}

// Who holds `address` now, for kErrExists messages; runs in the caller's
// transaction so the answer matches what the insert would meet.
Task<Status> ensure_free(DbTransaction& tx, const std::string& address) {
  auto r = co_await tx.query(
      "SELECT p.address, a.id, a.deleted_at IS NOT NULL FROM credentials c"
      " JOIN accounts a ON a.id = c.account_id"
      " JOIN credentials p ON p.account_id = a.id AND p.is_primary"
      " WHERE c.address = lower($1)",
      db_params(address));
  if (!r) co_return r.take_error();
  if (r->rows() == 0) co_return Status{};
  std::string owner = r->str(0, 0) == address ? "it is the primary address of account " + r->str(0, 1)
                                              : "it belongs to account " + r->str(0, 1) + " (" + r->str(0, 0) + ")";
  if (r->boolean(0, 2)) owner += ", which is deleted (restore or purge it first)";
  co_return make_error(kErrExists, "the address " + address + " is taken: " + owner);
}

// The id of the live account holding `address`, locked for the rest of `tx`.
// A soft-deleted account is not changed: restore it first.
Task<Result<std::int64_t>> lock_account(DbTransaction& tx, const std::string& address) {
  auto r = co_await tx.query(
      "SELECT a.id, a.deleted_at IS NOT NULL FROM accounts a JOIN credentials c ON c.account_id = a.id"
      " WHERE c.address = lower($1) FOR UPDATE OF a",
      db_params(address));
  if (!r) co_return r.take_error();
  if (r->rows() == 0) co_return not_found(address);
  if (r->boolean(0, 1)) {
    co_return make_error(kErrInvalid, "the account of " + address +
                                          " is deleted: restore it first (sora-admin accounts restore " +
                                          address + ")");
  }
  co_return r->int64(0, 0);
}

// Runs `step` in a transaction and commits when it succeeds; a failed step
// leaves the transaction to be rolled back when it is dropped.
template <class Step>
Task<Status> in_transaction(Db& db, Step step) {
  auto tx = co_await db.begin();
  if (!tx) co_return tx.take_error();
  if (auto s = co_await step(*tx); !s) co_return s;
  co_return co_await tx->commit();
}

Task<Status> make_primary(DbTransaction& tx, std::int64_t account, const std::string& address) {
  auto held = co_await tx.query("SELECT account_id, is_primary FROM credentials WHERE address = lower($1)", db_params(address));
  if (!held) co_return held.take_error();
  std::string id = std::to_string(account);
  if (held->rows() == 0) {
    // A new address: the primary credential is renamed, its password kept.
    auto r = co_await tx.query(
        "UPDATE credentials SET address = lower($2), updated_at = now() WHERE account_id = $1 AND is_primary",
        db_params(id, address));
    if (!r) co_return r.take_error();
    co_return Status{};
  }
  if (held->int64(0, 0) != account) co_return co_await ensure_free(tx, address);
  if (held->boolean(0, 1)) co_return Status{};
  // Demote first: at most one primary per account at any moment.
  auto r = co_await tx.query(
      "UPDATE credentials SET is_primary = false, updated_at = now() WHERE account_id = $1 AND is_primary", db_params(id));
  if (!r) co_return r.take_error();
  r = co_await tx.query("UPDATE credentials SET is_primary = true, updated_at = now() WHERE address = lower($1)",
                        db_params(address));
  if (!r) co_return r.take_error();
  co_return Status{};
}

Task<Status> apply_update(DbTransaction& tx, const std::string& address, const AccountUpdate& change) {
  auto account = co_await lock_account(tx, address);
  if (!account) co_return account.take_error();
  std::string id = std::to_string(*account);
  if (change.new_primary) {
    if (auto s = co_await make_primary(tx, *account, *change.new_primary); !s) co_return s;
  }
  if (change.password_hash) {
    auto r = co_await tx.query(
        "UPDATE credentials SET password_hash = $2, updated_at = now() WHERE account_id = $1 AND is_primary",
        db_params(id, *change.password_hash));
    if (!r) co_return r.take_error();
  }
  auto r = co_await tx.query(
      "UPDATE accounts SET display_name = coalesce($2, display_name), updated_at = now() WHERE id = $1",
      db_params(id, change.display_name));
  if (!r) co_return r.take_error();
  co_return Status{};
}

}  // namespace

Result<std::string> normalize_address(std::string_view address) {
  if (address.empty()) return make_error(kErrInvalid, "the address is empty");
  if (address.size() > kMaxAddress) {
    return make_error(kErrInvalid, "the address is longer than " + std::to_string(kMaxAddress) + " bytes");
  }
  std::string out(address);
  std::size_t at = std::string::npos;
  for (std::size_t i = 0; i < out.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(out[i]);
    if (c <= 0x20 || c == 0x7f) {
      return make_error(kErrInvalid, "the address " + std::string(address) + " contains a space or a control character");
    }
    if (c == '@') {
      if (at != std::string::npos) return make_error(kErrInvalid, "the address " + out + " has more than one @");
      at = i;
    }
    if (c >= 'A' && c <= 'Z') out[i] = static_cast<char>(c - 'A' + 'a');
  }
  if (at == std::string::npos) return make_error(kErrInvalid, "the address " + out + " has no @");
  if (at == 0) return make_error(kErrInvalid, "the address " + out + " has no local part before the @");
  if (at + 1 == out.size()) return make_error(kErrInvalid, "the address " + out + " has no domain after the @");
  return out;
}

Task<Result<Account>> AccountStore::create(std::string address, std::string password_hash,
                                           std::string display_name) {
  auto norm = normalize_address(address);
  if (!norm) co_return norm.take_error();
  auto s = co_await in_transaction(db_, [&](DbTransaction& tx) -> Task<Status> {
    if (auto free = co_await ensure_free(tx, *norm); !free) co_return free;
    auto a = co_await tx.query("INSERT INTO accounts (display_name) VALUES ($1) RETURNING id", db_params(display_name));
    if (!a) co_return a.take_error();
    auto c = co_await tx.query(
        "INSERT INTO credentials (account_id, address, password_hash, is_primary) VALUES ($1, lower($2), $3, true)",
        db_params(a->str(0, 0), *norm, password_hash));
    if (!c) co_return c.take_error();
    co_return Status{};
  });
  if (!s) co_return s.take_error();
  co_return co_await show(*norm);
}

Task<Result<Account>> AccountStore::show(std::string address) {
  auto norm = normalize_address(address);
  if (!norm) co_return norm.take_error();
  auto r = co_await db_.query(std::string(kAccountSelect) +
                                  "WHERE a.id = (SELECT account_id FROM credentials WHERE address = lower($1))" +
                                  kAccountOrder,
                              db_params(*norm));
  if (!r) co_return r.take_error();
  auto all = accounts_of(*r);
  if (all.empty()) co_return not_found(*norm);
  co_return std::move(all.front());
}

Task<Result<std::vector<Account>>> AccountStore::list(bool include_deleted) {
  auto r = co_await db_.query(std::string(kAccountSelect) + "WHERE $1 OR a.deleted_at IS NULL" + kAccountOrder,
                              db_params(include_deleted ? "true" : "false"));
  if (!r) co_return r.take_error();
  co_return accounts_of(*r);
}

Task<Result<Account>> AccountStore::update(std::string address, AccountUpdate change) {
  auto norm = normalize_address(address);
  if (!norm) co_return norm.take_error();
  if (change.new_primary) {
    auto p = normalize_address(*change.new_primary);
    if (!p) co_return p.take_error();
    change.new_primary = *p;
  }
  auto s = co_await in_transaction(
      db_, [&](DbTransaction& tx) -> Task<Status> { co_return co_await apply_update(tx, *norm, change); });
  if (!s) co_return s.take_error();
  co_return co_await show(change.new_primary ? *change.new_primary : *norm);
}

Task<Result<Account>> AccountStore::remove(std::string address) { return set_deleted(std::move(address), true); }

Task<Result<Account>> AccountStore::restore(std::string address) { return set_deleted(std::move(address), false); }

Task<Result<Account>> AccountStore::set_deleted(std::string address, bool deleted) {
  auto norm = normalize_address(address);
  if (!norm) co_return norm.take_error();
  // One statement: the state test and the change cannot be torn apart.
  auto r = co_await db_.query(
      "UPDATE accounts SET deleted_at = CASE WHEN $2 THEN now() END, updated_at = now()"
      " WHERE id = (SELECT account_id FROM credentials WHERE address = lower($1))"
      " AND (deleted_at IS NULL) = $2",
      db_params(*norm, deleted ? "true" : "false"));
  if (!r) co_return r.take_error();
  auto account = co_await show(*norm);
  if (!account || r->affected() == 1) co_return account;
  co_return make_error(kErrInvalid, "the account of " + *norm +
                                        (deleted ? " is already deleted (since " + account->deleted_at.value_or("?") + ")"
                                                 : " is not deleted"));
}

Task<Result<Credential>> AccountStore::add_credential(std::string account_address, std::string address,
                                                      std::string password_hash) {
  auto owner = normalize_address(account_address);
  if (!owner) co_return owner.take_error();
  auto norm = normalize_address(address);
  if (!norm) co_return norm.take_error();
  std::optional<Credential> added;
  auto s = co_await in_transaction(db_, [&](DbTransaction& tx) -> Task<Status> {
    auto account = co_await lock_account(tx, *owner);
    if (!account) co_return account.take_error();
    if (auto free = co_await ensure_free(tx, *norm); !free) co_return free;
    auto r = co_await tx.query(std::string("INSERT INTO credentials (account_id, address, password_hash)"
                                           " VALUES ($1, lower($2), $3) RETURNING ") +
                                   kCredentialColumns,
                               db_params(std::to_string(*account), *norm, password_hash));
    if (!r) co_return r.take_error();
    added = credential_at(*r, 0, 0, *account);
    co_return Status{};
  });
  if (!s) co_return s.take_error();
  co_return std::move(*added);
}

Task<Result<std::vector<Credential>>> AccountStore::list_credentials(std::string account_address) {
  auto norm = normalize_address(account_address);
  if (!norm) co_return norm.take_error();
  auto r = co_await db_.query(std::string("SELECT ") + kCredentialColumns +
                                  " FROM credentials WHERE account_id ="
                                  " (SELECT account_id FROM credentials WHERE address = lower($1))"
                                  " ORDER BY is_primary DESC, address",
                              db_params(*norm));
  if (!r) co_return r.take_error();
  if (r->rows() == 0) co_return not_found(*norm);
  std::vector<Credential> out;
  for (int row = 0; row < r->rows(); ++row) out.push_back(credential_at(*r, row, 0, r->int64(row, 4)));
  co_return out;
}

Task<Status> AccountStore::delete_credential(std::string address) {
  auto norm = normalize_address(address);
  if (!norm) co_return norm.take_error();
  auto r = co_await db_.query("DELETE FROM credentials WHERE address = lower($1) AND NOT is_primary", db_params(*norm));
  if (!r) co_return r.take_error();
  if (r->affected() == 1) co_return Status{};
  auto held = co_await db_.query("SELECT 1 FROM credentials WHERE address = lower($1)", db_params(*norm));
  if (!held) co_return held.take_error();
  if (held->rows() == 0) co_return make_error(kErrNotFound, "no credential has the address " + *norm);
  co_return make_error(kErrInvalid, *norm +
                                        " is the primary address of its account and cannot be deleted: make "
                                        "another address primary first (sora-admin accounts update --primary)");
}

}  // namespace sora::accounts
