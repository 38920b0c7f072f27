// The PostgreSQL mail store (internal to libsora): implements sora::MailStore
// over the worker's Db pool and its BlobPipeline.
#pragma once

#include <memory>

#include "libsora-store/blob-pipeline.h"
#include "sora/db.h"
#include "sora/mime.h"
#include "sora/store.h"

namespace sora {

struct StoreSettings {
  mime::Limits mime;                       // parsing limits for delivered messages
  std::uint64_t max_message_size = 50ull << 20;
};

// `db` and `blobs` must outlive the store.
std::unique_ptr<MailStore> make_mail_store(Db& db, BlobPipeline& blobs, StoreSettings settings = {});

}  // namespace sora
