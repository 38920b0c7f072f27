// Blob drivers: where message bodies live once they leave the spool
// (modules/storage-fs, modules/storage-s3).
//
// A key is the lowercase hex SHA-256 of the raw message (64 characters). The
// value is the stored form (zstd-compressed or not, as the blobs table
// records); a driver treats it as opaque bytes. Every method runs on the
// worker's loop and must not block it. put() of a key that exists succeeds:
// the same content may be uploaded twice after a crash.
#pragma once

#include <memory>
#include <string>

#include "sora/result.h"
#include "sora/task.h"

namespace sora {

class BlobDriver {
 public:
  virtual ~BlobDriver() = default;

  // Once per process on its loop, before any other call: checks that the
  // store is reachable and usable (bucket exists, credentials accepted,
  // folder writable). The error names the cause, e.g. the S3 error code.
  virtual Task<Status> open() = 0;

  virtual Task<Status> put(std::string key, std::shared_ptr<const std::string> data) = 0;
  // kErrNotFound when the key is absent; kErrTemporary when the store cannot
  // be reached (the caller retries later).
  virtual Task<Result<std::string>> get(std::string key) = 0;
  virtual Task<Result<bool>> exists(std::string key) = 0;
  // Removing an absent key succeeds.
  virtual Task<Status> remove(std::string key) = 0;

  // Ends the process's use of the driver (on the loop, before it closes).
  virtual void close() {}
};

}  // namespace sora
