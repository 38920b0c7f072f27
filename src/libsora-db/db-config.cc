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

DbSettings db_settings_from(const Config::Section& postgresql) {
  DbSettings s;
  s.conninfo = postgresql.str("conninfo");
  s.readonly_conninfo = postgresql.str("readonly_conninfo");
  s.pool_size = static_cast<int>(postgresql.integer("pool_size"));
  s.connect_timeout_ms = postgresql.duration("connect_timeout").count();
  s.query_timeout_ms = postgresql.duration("query_timeout").count();
  s.reconnect_min_ms = postgresql.duration("reconnect_backoff_min").count();
  s.reconnect_max_ms = postgresql.duration("reconnect_backoff_max").count();
  return s;
}

}  // namespace sora
