// The blob pipeline (internal to libsora): spool, uploader, local cache.
//
// Delivery: spool() hashes the raw message (SHA-256), compresses it (zstd, or
// not), writes SPOOL/<aa>/<hash> through a temporary file, fsyncs the file and
// its folder, all on the thread pool. The caller then inserts the blobs row
// (state 'pending', spool_node = this node) in its delivery transaction.
// The uploader task finds pending blobs spooled on this node, put()s them to
// the blob driver with retry and backoff, marks them 'uploaded' and removes the
// spool file. read() looks in the cache (decompressed files), then the spool,
// then the driver, and fills the cache (bounded, least recently used out).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sora/blob.h"
#include "sora/db.h"
#include "sora/result.h"
#include "sora/task.h"

namespace sora {

struct BlobSettings {
  std::string node;                 // [storage] node: this machine's name in blobs.spool_node
  std::string spool_dir;            // [storage] spool_dir
  std::string cache_dir;            // [storage] cache_dir
  std::uint64_t cache_size = 1ull << 30;  // [storage] cache_size, bytes
  std::string compression = "zstd"; // "zstd" or "none"
  int zstd_level = 3;
  int upload_concurrency = 4;
  std::int64_t retry_min_ms = 1000;
  std::int64_t retry_max_ms = 300000;
};

struct SpooledBlob {
  std::string hash;           // lowercase hex SHA-256 of the raw message
  std::uint64_t raw_size = 0;
  std::uint64_t stored_size = 0;
  std::string compression;    // "zstd" or "none"
};

class BlobPipeline {
 public:
  virtual ~BlobPipeline() = default;

  virtual Task<Result<SpooledBlob>> spool(std::shared_ptr<const std::string> raw) = 0;
  // After a delivery commits: the uploader looks for work now.
  virtual void wake() = 0;
  // Bytes [offset, offset+length) of the raw (decompressed) blob.
  virtual Task<Result<std::string>> read(std::string hash, std::uint64_t offset,
                                         std::uint64_t length) = 0;
  // Starts the uploader on this loop; stop() ends it and waits for it.
  virtual void start() = 0;
  virtual Task<void> stop() = 0;
};

// `driver` may be null: blobs then stay in the spool (a warning is logged).
std::unique_ptr<BlobPipeline> make_blob_pipeline(BlobSettings settings, Db& db, BlobDriver* driver);

}  // namespace sora
