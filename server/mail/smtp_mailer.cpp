#include "server/mail/smtp_mailer.hpp"

#include <curl/curl.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "server/core/log.hpp"

namespace outloud::mail {
namespace {

// curl_global_init once per process, before any worker thread uses curl.
void init_curl_once() {
  static const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (code != CURLE_OK) log::error("mail: curl_global_init failed: %s", curl_easy_strerror(code));
}

std::string rfc5322_date() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[64];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S +0000", &utc);
  return text;
}

std::string random_hex(std::size_t bytes) {
  unsigned char buffer[32];
  bytes = std::min(bytes, sizeof buffer);
  if (RAND_bytes(buffer, static_cast<int>(bytes)) != 1) return "0";
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    out += digits[buffer[i] >> 4];
    out += digits[buffer[i] & 15];
  }
  return out;
}

// Header values are one line: a stray CR or LF would start a header of the sender's choosing.
std::string one_line(std::string_view text) {
  std::string out(text);
  std::replace_if(out.begin(), out.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  return out;
}

std::string domain_of(const std::string& address) {
  const auto at = address.rfind('@');
  return at == std::string::npos ? "localhost" : address.substr(at + 1);
}

struct Upload {
  const std::string* data;
  std::size_t offset = 0;
};

std::size_t read_payload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const std::size_t room = size * count;
  const std::size_t left = upload->data->size() - upload->offset;
  const std::size_t n = std::min(room, left);
  std::memcpy(buffer, upload->data->data() + upload->offset, n);
  upload->offset += n;
  return n;
}

}  // namespace

std::string format_message(const Mail& mail, const std::string& from) {
  std::string out;
  out += "From: OutLoud <" + one_line(from) + ">\r\n";
  out += "To: <" + one_line(mail.to) + ">\r\n";
  out += "Subject: " + one_line(mail.subject) + "\r\n";
  out += "Date: " + rfc5322_date() + "\r\n";
  out += "Message-ID: <" + random_hex(16) + "@" + domain_of(from) + ">\r\n";
  out += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n";
  // Body lines end with CRLF. (curl dot-stuffs lines that begin with "." as it uploads.)
  std::size_t start = 0;
  while (start < mail.body.size()) {
    auto end = mail.body.find('\n', start);
    if (end == std::string::npos) end = mail.body.size();
    std::string_view line(mail.body.data() + start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out += line;
    out += "\r\n";
    start = end + 1;
  }
  return out;
}

SmtpMailer::SmtpMailer(SmtpSettings settings) : settings_(std::move(settings)) {
  init_curl_once();
  worker_ = std::thread([this] { run(); });
}

SmtpMailer::~SmtpMailer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    if (!queue_.empty()) log::warn("mail: %zu unsent message(s) dropped at shutdown", queue_.size());
    queue_.clear();
  }
  abort_.store(true);
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void SmtpMailer::send(Mail mail) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    if (queue_.size() >= settings_.max_queue) {
      log::warn("mail: the outgoing queue is full (%zu): a message was dropped", queue_.size());
      return;
    }
    queue_.push_back(std::move(mail));
  }
  wake_.notify_one();
}

void SmtpMailer::run() {
  for (;;) {
    Mail mail;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      mail = std::move(queue_.front());
      queue_.pop_front();
    }
    deliver(mail);
  }
}

bool SmtpMailer::deliver(const Mail& mail) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) {
    log::error("mail: curl_easy_init failed");
    return false;
  }
  const std::string payload = format_message(mail, settings_.from);
  Upload upload{&payload};
  const std::string from = "<" + settings_.from + ">", to = "<" + mail.to + ">";
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> recipients(curl_slist_append(nullptr, to.c_str()),
                                                                          &curl_slist_free_all);
  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, settings_.url.c_str());
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(handle, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
  curl_easy_setopt(handle, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(handle, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(handle, CURLOPT_READFUNCTION, &read_payload);
  curl_easy_setopt(handle, CURLOPT_READDATA, &upload);
  curl_easy_setopt(handle, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(handle, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(payload.size()));
  curl_easy_setopt(handle, CURLOPT_TIMEOUT, static_cast<long>(settings_.timeout.count()));
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  // Called at least once a second while the transfer runs: a shutdown stops it (non-zero aborts).
  curl_easy_setopt(handle, CURLOPT_XFERINFODATA, &abort_);
  curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION,
                   +[](void* abort, curl_off_t, curl_off_t, curl_off_t, curl_off_t) -> int {
                     return static_cast<std::atomic<bool>*>(abort)->load() ? 1 : 0;
                   });
  curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
  const CURLcode code = curl_easy_perform(handle);
  if (code != CURLE_OK) {
    // The address is personal data: log the domain only.
    log::warn("mail: sending to a %s address failed: %s", domain_of(mail.to).c_str(), curl_easy_strerror(code));
    return false;
  }
  log::debug("mail: sent to a %s address", domain_of(mail.to).c_str());
  return true;
}

}  // namespace outloud::mail
