// The email channel: settings, what an inbound mail becomes (text without quoted history,
// sanitized HTML, threading ids, automated-mail detection) and the RFC 5322 message of an agent's
// reply with its threading headers. Pure functions, no I/O, thread-safe. Mail arrives through the
// built-in SMTP/LMTP listener (src/http/smtp_server.*) and leaves through an SMTP relay
// (src/http/smtp_client.*); docs/channels.md describes the whole path.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bottega/errors.hpp"
#include "bottega/channel.hpp"
#include "channels/email/mime.hpp"

namespace bottega::channels::email {

inline constexpr std::string_view kType = "email";

enum class RelayTls { starttls, required, none };  // STARTTLS when offered / must / never

struct Settings {
  std::string address;                 // the support address, lowercase: "support@shop.example"
  std::vector<std::string> aliases;    // more addresses delivered to this channel
  std::string from_name;               // display name of outbound mail; may be empty
  std::string smtp_host;               // relay; empty: the channel only receives
  uint16_t smtp_port = 587;
  std::string smtp_username;           // empty: no AUTH
  std::string smtp_password;           // secret (write-only)
  RelayTls smtp_tls = RelayTls::starttls;
  // The authserv-id (RFC 8601) of the MTA in front of Bottega whose Authentication-Results header
  // is trusted to prove a sender's address; empty: no sender address counts as verified.
  std::string trusted_authserv_id;
};

// Settings keys: address (required), aliases, from_name, smtp_host, smtp_port, smtp_username,
// smtp_password, smtp_tls ("starttls" | "required" | "none"), trusted_authserv_id, api_base_url
// (accepted, unused).
// Errors: invalid_argument naming "settings.<key>" (unknown keys too).
Result<Settings> parse_settings(const boost::json::object& settings);

// A syntactically plausible address "local@domain" (no spaces, quotes or angle brackets; at most
// 254 bytes), returned with its domain lowercased; nullopt otherwise.
std::optional<std::string> normalize_address(std::string_view address);

// "support+TOKEN@shop.example" -> {"support@shop.example", "TOKEN"}; no '+': token empty.
struct RoutedAddress {
  std::string base;   // the address without the +token, lowercase local part
  std::string token;  // as written
};
RoutedAddress split_plus(std::string_view address);

// The reply address carrying a conversation: "support+<conversation_id>@shop.example".
std::string reply_address(const Settings& s, std::string_view conversation_id);

// Why mail must never be answered automatically, or "" for a person's mail: "auto-replied"
// (Auto-Submitted other than "no", X-Autoreply, X-Autorespond), "bulk" (Precedence bulk, junk or
// list), "list" (List-Id or List-Unsubscribe).
std::string automated_reason(const ParsedMail& m);

// Whether the mail's From address is proven by the trusted MTA: the topmost Authentication-Results
// header whose authserv-id is `authserv_id` (compared case-insensitively; RFC 8601 has the MTA drop
// forged ones carrying its id, and any further ones are below it) reports dmarc=pass with
// header.from equal to the From address's domain, or dkim=pass with a signing domain (header.d, or
// the domain of header.i) equal to the From domain or a parent of it (DMARC's relaxed alignment).
// SPF alone never counts (it proves the envelope sender, not From). Empty authserv_id: false.
bool sender_verified(const ParsedMail& m, std::string_view authserv_id);

// What an inbound mail becomes in the conversation.
struct InboundMail {
  std::string message_id;  // the dedupe key: the Message-ID, or "sha256:<hex>" of the raw bytes
  std::string from_address, from_name;
  std::string subject;
  std::string text;          // the new text: quoted history and signature stripped
  std::string full_text;     // the whole text body (from the HTML when there is no text part)
  std::string html;          // sanitized HTML, "" when the mail has none
  std::vector<std::string> thread_ids;  // In-Reply-To then References (newest first), no <>
  std::vector<std::string> references;  // References as sent (oldest first)
  std::string automated;     // automated_reason()
  std::string content_json;  // {"email":{...}} stored with the message
};
// REQUIRES: m.from has an address (callers refuse mail without one).
InboundMail to_inbound(const ParsedMail& m, std::string_view raw);

// An agent's reply as an RFC 5322 message (CRLF line ends, not dot-stuffed).
struct Reply {
  std::string to_address, to_name;
  std::string subject;                 // the conversation's subject; "Re: " is added once when
                                       // the mail answers one (in_reply_to set)
  std::string text;                    // UTF-8
  std::string html;                    // optional HTML alternative (already escaped): the mail
                                       // becomes multipart/alternative with both parts
  std::string message_id;              // ours, without <>
  std::string in_reply_to;             // the customer's last Message-ID, may be empty
  std::vector<std::string> references; // the parent's References (oldest first)
  std::string conversation_id;
  int64_t date_ms = 0;
  std::vector<OutboundAttachment> attachments;  // files: the mail becomes multipart/mixed
};
std::string compose_reply(const Settings& s, const Reply& r);

// A file name for a quoted MIME parameter: ASCII without quotes, backslashes, slashes, ';' or
// controls, each non-ASCII character as '_'; "file" when nothing is left.
std::string ascii_filename(std::string_view name);
// The Content-Disposition filename parameter: filename="<name>" for a plain ASCII name, else
// filename*=UTF-8''<percent-encoded> (RFC 2231) alone (Content-Type's name= has the ASCII form).
std::string attachment_name_params(std::string_view name);

// Our Message-ID for an outbound message: "<message_id>.<conversation_id>@<domain of address>"
// (without <>), stable across retries so receivers deduplicate a resent message.
std::string outbound_message_id(const Settings& s, std::string_view message_id,
                                std::string_view conversation_id);

// RFC 2047 B-encoding of a header value when it is not plain ASCII (UTF-8 words, folded).
std::string encode_header_value(std::string_view value);

}  // namespace bottega::channels::email
