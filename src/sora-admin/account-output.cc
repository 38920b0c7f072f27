#include "sora-admin/account-output.h"

#include <string>

namespace sora::admin {

namespace {

using accounts::Account;
using accounts::Credential;

Json credential_json(const Credential& c) {
  return Json(json_pack("{s:I, s:I, s:s%, s:b, s:s%}", "id", static_cast<json_int_t>(c.id),
                        "account_id", static_cast<json_int_t>(c.account_id), "address",
                        c.address.data(), c.address.size(), "primary", c.primary, "created_at",
                        c.created_at.data(), c.created_at.size()));
}

Json credentials_json(const std::vector<Credential>& credentials) {
  Json array(json_array());
  for (const auto& c : credentials)
    json_array_append_new(array.get(), credential_json(c).release());
  return array;
}

Json account_json(const Account& a) {
  const std::string* deleted = a.deleted_at ? &*a.deleted_at : nullptr;
  return Json(json_pack(
      "{s:I, s:s%, s:s%, s:s%, s:s%, s:o, s:o}", "id", static_cast<json_int_t>(a.id),
      "primary_address", a.primary_address.data(), a.primary_address.size(), "display_name",
      a.display_name.data(), a.display_name.size(), "created_at", a.created_at.data(),
      a.created_at.size(), "updated_at", a.updated_at.data(), a.updated_at.size(), "deleted_at",
      json_text(deleted).release(), "credentials", credentials_json(a.credentials).release()));
}

std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }

std::string account_text(const Account& a) {
  std::string out = "id: " + std::to_string(a.id) + "\n" + "primary_address: " + a.primary_address +
                    "\n" + "display_name: " + or_dash(a.display_name) + "\n" +
                    "created_at: " + a.created_at + "\n" + "updated_at: " + a.updated_at + "\n" +
                    "deleted_at: " + (a.deleted_at ? *a.deleted_at : "-") + "\n";
  for (const auto& c : a.credentials) {
    out += "credential: " + c.address + (c.primary ? " (primary)" : "") + "\n";
  }
  return out;
}

std::string credential_text(const Credential& c) {
  return "id: " + std::to_string(c.id) + "\n" + "account_id: " + std::to_string(c.account_id) +
         "\n" + "address: " + c.address + "\n" + "primary: " + (c.primary ? "yes" : "no") + "\n" +
         "created_at: " + c.created_at + "\n";
}

// Printing the array, never a NULL, when a field was not valid UTF-8 keeps
// the document well-formed; PostgreSQL stores UTF-8, so this is a safeguard.
Json wrap(const char* key, Json array) {
  return Json(json_pack("{s:o}", key, array ? array.release() : json_array()));
}

}  // namespace

void print_account(const Output& out, const Account& account) {
  if (out.json()) return out.document(account_json(account));
  out.text(account_text(account));
}

void print_accounts(const Output& out, const std::vector<Account>& accounts) {
  if (out.json()) {
    Json array(json_array());
    for (const auto& a : accounts) json_array_append_new(array.get(), account_json(a).release());
    return out.document(wrap("accounts", std::move(array)));
  }
  std::vector<std::vector<std::string>> rows{
      {"ID", "PRIMARY_ADDRESS", "DISPLAY_NAME", "CREATED_AT", "DELETED_AT"}};
  for (const auto& a : accounts) {
    rows.push_back({std::to_string(a.id), a.primary_address, a.display_name, a.created_at,
                    a.deleted_at.value_or("")});
  }
  out.text(format_table(rows));
}

void print_credential(const Output& out, const Credential& credential) {
  if (out.json()) return out.document(credential_json(credential));
  out.text(credential_text(credential));
}

void print_credentials(const Output& out, const std::vector<Credential>& credentials) {
  if (out.json()) return out.document(wrap("credentials", credentials_json(credentials)));
  std::vector<std::vector<std::string>> rows{{"ID", "ADDRESS", "PRIMARY", "CREATED_AT"}};
  for (const auto& c : credentials) {
    rows.push_back({std::to_string(c.id), c.address, c.primary ? "yes" : "no", c.created_at});
  }
  out.text(format_table(rows));
}

}  // namespace sora::admin
