// The migrations compiled into libsora, generated from sql/NNNN-name.sql by
// sql/gen-migrations.sh (internal to the core; schema.h is the interface).
#pragma once

#include <cstddef>

#include "libsora-db/schema.h"

namespace sora::schema {

extern const Migration kCompiledMigrations[];
extern const std::size_t kCompiledMigrationCount;

}  // namespace sora::schema
