// The filter hook between parsing and storing a delivered message: Sieve
// (modules/filter-sieve) plugs in here. A filter decides, per recipient, where
// the message goes; it never writes to the store itself.
#pragma once

#include <string>
#include <vector>

#include "sora/store.h"
#include "sora/task.h"

namespace sora {

// What a filter sees of one delivery to one recipient.
struct FilterInput {
  const Recipient* recipient = nullptr;  // resolved account and detail
  std::string envelope_from;             // MAIL FROM, without <>
  std::string envelope_to;               // RCPT TO as given, without <>
  const MessageInfo* message = nullptr;  // parsed headers, envelope, structure
  const std::string* raw = nullptr;      // the message as received (without the
                                         // Return-Path/Delivered-To lines)
};

// Where the message goes for that recipient. An empty list of targets with
// discard=false means "keep": the default mailbox.
struct FilterAction {
  struct Target {
    std::string mailbox;               // UTF-8 name; created if missing when create is set
    bool create = false;
    std::uint32_t flags = 0;           // kFlag* bits to set
    std::vector<std::string> keywords;
  };
  std::vector<Target> targets;
  bool discard = false;                // deliver nowhere (still a 250)
  std::string reject_reason;           // non-empty: answer 550 5.7.1 with this text
};

class Filter {
 public:
  virtual ~Filter() = default;
  virtual Task<Result<FilterAction>> filter(const FilterInput& input) = 0;
};

}  // namespace sora
