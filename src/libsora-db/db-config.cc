#include <cstdio>
#include <cstdlib>

#include "libsora-db/db-settings.h"
#include "libsora-core/sections.h"

namespace sora {

namespace {

using T = ConfigType;
constexpr unsigned R = kConfigReloadable;

const ConfigKey kPostgresqlKeys[] = {
    {"conninfo", T::string, "dbname=sora", 0, 0, nullptr, 0,
     "libpq connection string or postgresql:// URI of the primary (keep passwords in a passfile)"},
    {"readonly_conninfo", T::string, "", 0, 0, nullptr, 0,
     "connection string of a read-only replica for reads that tolerate lag; empty for none"},
    {"pool_size", T::integer, "8", 1, 1000, nullptr, 0,
     "most connections each worker opens to the primary (and as many to the replica)"},
    {"connect_timeout", T::duration, "5s", 100, 300000, nullptr, R,
     "how long to wait for a connection to be established"},
    {"query_timeout", T::duration, "30s", 100, 3600000, nullptr, R,
     "how long a query may wait for a connection and its result"},
    {"reconnect_backoff_min", T::duration, "100ms", 10, 60000, nullptr, R,
     "first pause before reconnecting to a server that went away"},
    {"reconnect_backoff_max", T::duration, "30s", 100, 3600000, nullptr, R,
     "longest pause between reconnection attempts (the pause doubles up to it)"},
};

}  // namespace

const ConfigSection kPostgresqlSection = {"postgresql", false, kPostgresqlKeys,
                                          std::size(kPostgresqlKeys),
                                          "the PostgreSQL server holding everything but bodies"};

}  // namespace sora

namespace sora {

namespace {

// Straight from the values map: the loader stores every declared key, with
// its default when the file does not set it.
const ConfigValue& setting(const Config::Section& section, std::string_view key) {
  auto it = section.values().find(key);
  if (it == section.values().end()) {
    std::fprintf(stderr, "sora: internal error: [%s] %.*s is not in the configuration\n",
                 section.name().c_str(), static_cast<int>(key.size()), key.data());
    std::abort();
  }
  return it->second;
}

}  // namespace

DbSettings db_settings_from(const Config::Section& postgresql) {
  DbSettings s;
  s.conninfo = setting(postgresql, "conninfo").text;
  s.readonly_conninfo = setting(postgresql, "readonly_conninfo").text;
  s.pool_size = static_cast<int>(setting(postgresql, "pool_size").number);
  s.connect_timeout_ms = setting(postgresql, "connect_timeout").number;
  s.query_timeout_ms = setting(postgresql, "query_timeout").number;
  s.reconnect_min_ms = setting(postgresql, "reconnect_backoff_min").number;
  s.reconnect_max_ms = setting(postgresql, "reconnect_backoff_max").number;
  return s;
}

}  // namespace sora
