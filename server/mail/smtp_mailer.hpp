// Mailer over real SMTP through libcurl (`--smtp smtp://HOST:PORT`; smtps:// for implicit TLS;
// STARTTLS is used when the server offers it). One worker thread sends the queue in order.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "server/limits/limits.hpp"
#include "server/mail/mailer.hpp"

namespace outloud::mail {

// Where to send; the limits (limits::Mail: timeout, queue, with their defaults) are members through the base.
struct SmtpSettings : limits::Mail {
  std::string url;                         // smtp://HOST:PORT or smtps://HOST:PORT (user:pass@ allowed)
  std::string from;                        // envelope and header sender
};

class SmtpMailer final : public Mailer {
 public:
  explicit SmtpMailer(SmtpSettings settings);
  ~SmtpMailer() override;  // sends nothing more; the message in flight is abandoned within about a second
  void send(Mail mail) override;

 private:
  void run();
  bool deliver(const Mail& mail);

  SmtpSettings settings_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Mail> queue_;
  bool stopping_ = false;
  std::atomic<bool> abort_{false};  // the message in flight gives up (shutdown)
  std::thread worker_;
};

// The RFC 5322 message: headers (From, To, Subject, Date, Message-ID, MIME) and the body, CRLF lines.
std::string format_message(const Mail& mail, const std::string& from);

}  // namespace outloud::mail
