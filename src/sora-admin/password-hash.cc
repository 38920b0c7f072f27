#include "sora-admin/password-hash.h"

#include "sora-admin/password-input.h"
#include "sora/loop.h"
#include "sora/password.h"

namespace sora::admin {

namespace {

// Slow on purpose (bcrypt), so it must not run on the loop thread. The
// password stays in the caller, which awaits this and wipes it afterwards:
// a moved std::string may leave its bytes behind in the source's buffer.
Task<Result<std::string>> hash_in_pool(const std::string& password, password::Scheme scheme,
                                       int cost) {
  std::optional<Result<std::string>> hashed;
  co_await run_in_pool([&] { hashed.emplace(password::hash(password, scheme, cost)); });
  co_return std::move(*hashed);
}

}  // namespace

Task<Result<std::string>> new_password_hash(const Context& ctx, std::string_view for_whom) {
  const auto& auth = ctx.config.section("auth");
  auto scheme = password::parse_scheme(auth.str("password_scheme"));
  if (!scheme) co_return scheme.take_error();
  const Invocation& inv = ctx.invocation;
  auto password = read_password(inv.password_source, inv.password_value, for_whom);
  if (!password) co_return password.take_error();
  auto hashed =
      co_await hash_in_pool(*password, *scheme, static_cast<int>(auth.integer("bcrypt_cost")));
  wipe(*password);
  co_return hashed;
}

Task<Result<std::optional<std::string>>> optional_password_hash(const Context& ctx,
                                                                std::string_view for_whom) {
  if (ctx.invocation.password_source == PasswordSource::none)
    co_return std::optional<std::string>();
  auto hash = co_await new_password_hash(ctx, for_whom);
  if (!hash) co_return hash.take_error();
  co_return std::optional<std::string>(std::move(*hash));
}

}  // namespace sora::admin
