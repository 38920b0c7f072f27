// The MIME structure parser (src/libsora-mime): one pass over a raw message
// (RFC 5322, MIME RFC 2045-2049) that records the byte offsets of every part
// and produces what IMAP FETCH and SEARCH need, so nothing is parsed again
// when a client asks.
//
// It never fails on real-world breakage: a broken message still yields a
// structure (text/plain where nothing better can be said), within limits.
// CPU-bound: call it on the thread pool (MailStore::parse does).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sora::mime {

struct Limits {
  std::size_t max_depth = 32;                 // nesting of multiparts and message/rfc822
  std::size_t max_parts = 5000;               // parts recorded; the rest count as body bytes
  std::size_t max_header_bytes = 1 << 20;     // per header block taken into account
  std::size_t max_search_text = 1 << 20;      // UTF-8 bytes of extracted text kept
};

// One MIME part, in depth-first order (the order of IMAP section numbers).
// Offsets count bytes from the start of the raw message.
struct Part {
  std::string section;          // IMAP section number: "1", "1.2", "2.1.3"; "" for the
                                // top-level message itself
  std::string type;             // lowercase: "text"
  std::string subtype;          // lowercase: "plain"
  std::string charset;          // from Content-Type, as given ("" if none)
  std::string encoding;         // Content-Transfer-Encoding, lowercase ("7bit" if none)
  std::uint64_t header_offset = 0;
  std::uint64_t header_size = 0;  // including the blank line that ends it
  std::uint64_t body_offset = 0;
  std::uint64_t body_size = 0;
  std::uint64_t body_lines = 0;
};

// What the mail store keeps per message.
struct MessageInfo {
  std::string envelope;       // IMAP ENVELOPE, the parenthesised list (RFC 3501 7.4.2)
  std::string body;           // IMAP BODY: BODYSTRUCTURE without extension data
  std::string bodystructure;  // IMAP BODYSTRUCTURE with extension data
  std::vector<Part> parts;    // parts[0] is the whole message (section "")

  // Header fields for SEARCH and SORT, RFC 2047 decoded to UTF-8.
  std::string subject;
  std::string from;            // the whole field, decoded
  std::string to;
  std::string cc;
  std::string bcc;
  std::string message_id;      // as given, with <>
  std::string in_reply_to;
  std::string references;
  std::int64_t date = 0;       // Date: as seconds since the epoch; 0 if absent or unparsable
  std::string sort_subject;    // RFC 5256 base subject
  std::string sort_from;       // RFC 5256: first From address's mailbox, lowercase
  std::string sort_to;
  std::string sort_cc;
  std::string display_from;    // RFC 5957 display name (or the address)
  std::string display_to;

  std::string headers;         // the top-level header block, unfolded, decoded to UTF-8
                               // (for SEARCH HEADER), at most max_header_bytes
  std::string search_text;     // text of the text/* parts, decoded to UTF-8, HTML reduced
                               // to text; at most max_search_text bytes
};

MessageInfo parse(std::string_view raw, const Limits& limits = {});

// RFC 2047 encoded-words in an unstructured header value, decoded to UTF-8
// (unknown charsets and broken words are kept as they are).
std::string decode_header(std::string_view value);

// Converts text in `charset` to UTF-8 with iconv; invalid sequences become
// U+FFFD. An unknown charset is treated as UTF-8 with the same replacement.
std::string to_utf8(std::string_view text, std::string_view charset);

}  // namespace sora::mime
