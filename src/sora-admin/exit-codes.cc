#include "sora-admin/exit-codes.h"

namespace sora::admin {

namespace {

struct Kind {
  int exit_code;
  const char* name;
};

Kind classify(int code) {
  switch (code) {
    case kErrUsage:
      return {kExitUsage, "usage"};
    case kErrInvalid:
      return {kExitDataError, "invalid"};
    case kErrNotFound:
      return {kExitNotFound, "not_found"};
    case kErrExists:
      return {kExitExists, "exists"};
    // A closed connection or a timeout is the database going away under us;
    // like an unreachable server, trying again later may succeed.
    case kErrTemporary:
    case kErrClosed:
    case kErrTimeout:
      return {kExitTemporary, "temporary"};
    case kErrSchema:
      return {kExitSchema, "schema"};
    case kErrAuth:
      return {kExitPermission, "permission"};
    case kErrConfig:
      return {kExitConfig, "config"};
    default:
      return {kExitInternal, "internal"};
  }
}

}  // namespace

int exit_code_for(const Error& error) { return classify(error.code).exit_code; }

const char* error_kind(const Error& error) { return classify(error.code).name; }

}  // namespace sora::admin
