// Schema migrations: the numbered files of sql/ are compiled into libsora, so
// the daemon and sora-admin know exactly which schema they were built for.
#pragma once

#include <string>
#include <vector>

#include "sora/db.h"
#include "sora/result.h"
#include "sora/task.h"

namespace sora::schema {

struct Migration {
  int version;       // from the file name: 0001-accounts.sql is 1
  const char* name;  // "accounts"
  const char* sql;
};

// Every migration this build knows, in order.
const std::vector<Migration>& migrations();
// The newest version this build knows.
int known_version();

// The version recorded in the database; 0 when no migration ever ran.
Task<Result<int>> database_version(Db& db);

// Applies every migration newer than the database's, all in one transaction;
// returns the versions applied. Refuses a database newer than this build.
Task<Result<std::vector<int>>> migrate(Db& db);

// For sorad: ok when the database is at known_version(); otherwise kErrSchema
// with a message naming both versions and what to do.
Task<Status> check(Db& db);

}  // namespace sora::schema
