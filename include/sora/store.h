// The mail store: the only way protocol modules (LMTP, IMAP, POP3, Sieve)
// reach mailboxes and messages. Rows live in PostgreSQL, bodies in the blob
// pipeline (spool, local cache, blob driver). Every change to a mailbox bumps
// its modseq in the same transaction, records the change in its change log
// and NOTIFYs "sora_mailbox" with "<mailbox id> <modseq>" on commit.
//
// All calls run on the worker's loop; CPU and file work goes to the thread
// pool. kErrNotFound: no such account, mailbox or message; kErrExists: the
// name is taken; kErrInvalid: bad input; kErrTemporary: PostgreSQL, the spool
// or the blob driver is unavailable (an LMTP client gets 451 and retries).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sora/mime.h"
#include "sora/result.h"
#include "sora/task.h"

namespace sora {

using MessageInfo = mime::MessageInfo;

// System flags, stored as bits. \Recent is a session matter, not stored.
enum : std::uint32_t {
  kFlagSeen = 1u << 0,
  kFlagAnswered = 1u << 1,
  kFlagFlagged = 1u << 2,
  kFlagDeleted = 1u << 3,
  kFlagDraft = 1u << 4,
};

// An address resolved to an account (primary address or alias, case-insensitive,
// "+detail" split off).
struct Recipient {
  std::int64_t account_id = 0;
  std::string primary;   // the account's primary address
  std::string address;   // the credential that matched, as stored
  std::string detail;    // "lists" for alice+lists@example.org; "" if none
};

struct Mailbox {
  std::int64_t id = 0;
  std::int64_t account_id = 0;
  std::string name;              // UTF-8, hierarchy separator '/'; "INBOX" for the inbox
  std::uint32_t uidvalidity = 0;
  std::uint32_t uidnext = 1;
  std::uint64_t highestmodseq = 0;
  std::string special_use;       // "\\Sent", "\\Trash" ... or ""
  bool subscribed = false;
  std::uint32_t messages = 0;    // not expunged
  std::uint32_t unseen = 0;
  std::uint64_t size = 0;        // bytes of the messages not expunged
};

struct UidRange {
  std::uint32_t first = 1;
  std::uint32_t last = UINT32_MAX;
};
using UidSet = std::vector<UidRange>;  // empty: every message

// A message's row as FETCH needs it. `size` and the offsets in `info` count
// the message as presented: `prefix` (the Return-Path and Delivered-To lines
// added at delivery) followed by the stored blob.
struct Message {
  std::int64_t id = 0;
  std::int64_t mailbox_id = 0;
  std::uint32_t uid = 0;
  std::uint64_t modseq = 0;
  std::uint32_t flags = 0;
  std::vector<std::string> keywords;
  std::int64_t internal_date = 0;  // seconds since the epoch
  std::uint64_t size = 0;          // RFC822.SIZE
  std::string content_hash;        // hex SHA-256 of the stored blob
  std::string prefix;
  // Filled when FetchWhat::structure is asked for:
  std::string envelope;
  std::string body;
  std::string bodystructure;
  std::vector<mime::Part> parts;  // offsets already shifted by prefix.size()
};

enum class FetchWhat { flags, structure };

// One change in a mailbox's log, newest modseq last.
struct Change {
  enum class Kind { added, flags, expunged };
  Kind kind = Kind::added;
  std::uint64_t modseq = 0;
  std::uint32_t uid = 0;
  std::uint32_t flags = 0;  // after the change (added, flags)
  std::vector<std::string> keywords;
};

// Where one delivered (or appended) message goes.
struct DeliveryTarget {
  std::int64_t account_id = 0;
  std::string mailbox = "INBOX";  // UTF-8 name
  bool create = false;            // create the mailbox if it does not exist
  std::uint32_t flags = 0;
  std::vector<std::string> keywords;
  std::string prefix;             // header lines put before the message, CRLF-ended
};

struct Stored {
  std::int64_t mailbox_id = 0;
  std::uint32_t uid = 0;
  std::uint64_t modseq = 0;
};

enum class FlagOp { set, add, remove };

struct FlagUpdate {
  std::vector<Stored> changed;          // uid and new modseq of each changed message
  std::vector<std::uint32_t> modified;  // CONDSTORE: uids that failed UNCHANGEDSINCE
};

struct CopyUid {
  std::uint32_t uidvalidity = 0;  // of the destination
  std::vector<std::uint32_t> source;
  std::vector<std::uint32_t> dest;
};

class MailStore {
 public:
  virtual ~MailStore() = default;

  // --- accounts ---
  virtual Task<Result<Recipient>> resolve_recipient(std::string address) = 0;

  // --- delivery ---
  // Parses a raw message on the thread pool, within the configured limits.
  virtual Task<Result<std::shared_ptr<const MessageInfo>>> parse(
      std::shared_ptr<const std::string> raw) = 0;
  // Writes the raw message to the spool (fsync), then stores one message per
  // target in one transaction: all targets or none. Only then may LMTP answer
  // 250. The same content is stored once however many targets or deliveries.
  virtual Task<Result<std::vector<Stored>>> deliver(std::shared_ptr<const std::string> raw,
                                                    std::shared_ptr<const MessageInfo> info,
                                                    std::vector<DeliveryTarget> targets,
                                                    std::int64_t internal_date) = 0;

  // --- mailboxes ---
  virtual Task<Result<std::vector<Mailbox>>> list_mailboxes(std::int64_t account_id) = 0;
  // "INBOX" matches case-insensitively; other names exactly.
  virtual Task<Result<Mailbox>> find_mailbox(std::int64_t account_id, std::string name) = 0;
  virtual Task<Result<Mailbox>> create_mailbox(std::int64_t account_id, std::string name,
                                               std::string special_use = {}) = 0;
  // Refuses INBOX; the messages go with it.
  virtual Task<Status> delete_mailbox(std::int64_t account_id, std::string name) = 0;
  // Renames children too; renaming INBOX moves its messages to the new name.
  virtual Task<Status> rename_mailbox(std::int64_t account_id, std::string from, std::string to) = 0;
  virtual Task<Status> subscribe(std::int64_t account_id, std::string name, bool subscribed) = 0;

  // --- messages ---
  virtual Task<Result<std::vector<Message>>> fetch(std::int64_t mailbox_id, UidSet uids,
                                                   FetchWhat what = FetchWhat::flags) = 0;
  // Bytes [offset, offset+length) of the message as presented (prefix + blob);
  // a range past the end is cut short.
  virtual Task<Result<std::string>> read(const Message& message, std::uint64_t offset,
                                         std::uint64_t length) = 0;
  virtual Task<Result<FlagUpdate>> store_flags(std::int64_t mailbox_id, UidSet uids, FlagOp op,
                                               std::uint32_t flags, std::vector<std::string> keywords,
                                               std::optional<std::uint64_t> unchanged_since = {}) = 0;
  // Copies (or moves) messages to another mailbox of the same account, sharing blobs.
  virtual Task<Result<CopyUid>> copy(std::int64_t from_mailbox, UidSet uids, std::int64_t to_mailbox,
                                     bool move = false) = 0;
  // Expunges the \Deleted messages (of `uids` only, if given); returns their uids.
  virtual Task<Result<std::vector<std::uint32_t>>> expunge(std::int64_t mailbox_id,
                                                           std::optional<UidSet> uids = {}) = 0;
  // The change log after `modseq` (exclusive), in modseq order.
  virtual Task<Result<std::vector<Change>>> changes_since(std::int64_t mailbox_id,
                                                          std::uint64_t modseq) = 0;
};

}  // namespace sora
