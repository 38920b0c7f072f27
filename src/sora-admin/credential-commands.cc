// credentials add, list, delete.
#include "libsora-db/accounts.h"
#include "sora-admin/account-output.h"
#include "sora-admin/context.h"
#include "sora-admin/exit-codes.h"
#include "sora-admin/password-hash.h"

namespace sora::admin {

namespace {

using accounts::AccountStore;

Task<CommandResult> add(Context& ctx) {
  auto account = ctx.address(0);
  if (!account) co_return account.take_error();
  auto address = ctx.address(1);
  if (!address) co_return address.take_error();
  auto hash = co_await new_password_hash(ctx, *address);
  if (!hash) co_return hash.take_error();
  AccountStore store(ctx.db);
  auto credential = co_await store.add_credential(*account, *address, std::move(*hash));
  co_return print_result(ctx, credential, print_credential);
}

Task<CommandResult> list(Context& ctx) {
  auto account = ctx.address(0);
  if (!account) co_return account.take_error();
  AccountStore store(ctx.db);
  auto credentials = co_await store.list_credentials(*account);
  co_return print_result(ctx, credentials, print_credentials);
}

void print_deleted(const Output& out, const std::string& address) {
  if (!out.json()) return out.text("deleted: " + address + "\n");
  out.document(Json(json_pack("{s:s%}", "deleted", address.data(), address.size())));
}

Task<CommandResult> remove(Context& ctx) {
  auto address = ctx.address(0);
  if (!address) co_return address.take_error();
  AccountStore store(ctx.db);
  auto removed = co_await store.delete_credential(*address);
  if (!removed) co_return removed.take_error();
  print_deleted(ctx.out, *address);
  co_return kExitOk;
}

}  // namespace

Task<CommandResult> run_credential_command(Context& ctx) {
  switch (ctx.invocation.command->id) {
    case CommandId::credentials_add:
      co_return co_await add(ctx);
    case CommandId::credentials_list:
      co_return co_await list(ctx);
    case CommandId::credentials_delete:
      co_return co_await remove(ctx);
    default:
      co_return make_error(kErrGeneric, "internal error: not a credentials command");
  }
}

}  // namespace sora::admin
