#include "server/mail/sign_in_mail.hpp"

namespace outloud::mail {

Mail sign_in_mail(std::string email, const std::string& public_url, const std::string& code, std::chrono::minutes ttl) {
  const std::string link = public_url + "/#sign-in=" + code;
  Mail mail;
  mail.to = std::move(email);
  mail.subject = "Your OutLoud sign-in link";
  mail.body = "Someone asked to sign in to OutLoud at " + public_url + " with this email address.\n\n" +
              "To sign in, open this link within " + std::to_string(ttl.count()) + " minutes. It works once:\n\n" +
              link + "\n\n" +
              "If that was not you, ignore this email: nothing happens unless the link is opened.\n";
  return mail;
}

}  // namespace outloud::mail
