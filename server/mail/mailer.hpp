// Outgoing email, sent off the I/O threads. The HTTP layer hands a message over and carries on; it
// never learns (or reveals by its timing) whether or when the message went out.
#pragma once

#include <string>

namespace outloud::mail {

struct Mail {
  std::string to;       // one address, already validated (no spaces, no line breaks)
  std::string subject;  // one line
  std::string body;     // plain text; lines end with \n
};

class Mailer {
 public:
  virtual ~Mailer() = default;
  // Queues the message; returns at once. A full queue drops it (logged).
  virtual void send(Mail mail) = 0;
};

// A plausible address: local@domain, at most 254 bytes, printable ASCII without spaces, quotes,
// angle brackets or commas, and a domain of dot-separated labels.
bool is_valid_address(std::string_view address);

}  // namespace outloud::mail
