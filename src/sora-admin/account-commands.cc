// accounts create, update, list, show, delete, restore.
#include "libsora-db/accounts.h"
#include "sora-admin/account-output.h"
#include "sora-admin/context.h"
#include "sora-admin/exit-codes.h"
#include "sora-admin/password-hash.h"

namespace sora::admin {

namespace {

using accounts::Account;
using accounts::AccountStore;

Task<CommandResult> create(Context& ctx) {
  auto address = ctx.address(0);
  if (!address) co_return address.take_error();
  auto hash = co_await new_password_hash(ctx, *address);
  if (!hash) co_return hash.take_error();
  AccountStore store(ctx.db);
  auto account =
      co_await store.create(*address, std::move(*hash), ctx.invocation.display_name.value_or(""));
  co_return print_result(ctx, account, print_account);
}

Task<Result<accounts::AccountUpdate>> requested_change(const Context& ctx,
                                                       const std::string& address) {
  accounts::AccountUpdate change;
  change.display_name = ctx.invocation.display_name;
  if (ctx.invocation.new_primary) {
    auto primary = accounts::normalize_address(*ctx.invocation.new_primary);
    if (!primary) co_return primary.take_error();
    change.new_primary = std::move(*primary);
  }
  auto hash = co_await optional_password_hash(ctx, address);
  if (!hash) co_return hash.take_error();
  change.password_hash = std::move(*hash);
  co_return change;
}

Task<CommandResult> update(Context& ctx) {
  auto address = ctx.address(0);
  if (!address) co_return address.take_error();
  auto change = co_await requested_change(ctx, *address);
  if (!change) co_return change.take_error();
  AccountStore store(ctx.db);
  auto account = co_await store.update(*address, std::move(*change));
  co_return print_result(ctx, account, print_account);
}

Task<CommandResult> list(Context& ctx) {
  AccountStore store(ctx.db);
  auto accounts = co_await store.list(ctx.invocation.include_deleted);
  co_return print_result(ctx, accounts, print_accounts);
}

Task<Result<Account>> show_delete_or_restore(Context& ctx, std::string address) {
  AccountStore store(ctx.db);
  switch (ctx.invocation.command->id) {
    case CommandId::accounts_delete:
      co_return co_await store.remove(std::move(address));
    case CommandId::accounts_restore:
      co_return co_await store.restore(std::move(address));
    default:
      co_return co_await store.show(std::move(address));
  }
}

// show, delete and restore take one address and print the account.
Task<CommandResult> by_address(Context& ctx) {
  auto address = ctx.address(0);
  if (!address) co_return address.take_error();
  auto account = co_await show_delete_or_restore(ctx, std::move(*address));
  co_return print_result(ctx, account, print_account);
}

}  // namespace

Task<CommandResult> run_account_command(Context& ctx) {
  switch (ctx.invocation.command->id) {
    case CommandId::accounts_create:
      co_return co_await create(ctx);
    case CommandId::accounts_update:
      co_return co_await update(ctx);
    case CommandId::accounts_list:
      co_return co_await list(ctx);
    case CommandId::accounts_show:
    case CommandId::accounts_delete:
    case CommandId::accounts_restore:
      co_return co_await by_address(ctx);
    default:
      co_return make_error(kErrGeneric, "internal error: not an accounts command");
  }
}

}  // namespace sora::admin
