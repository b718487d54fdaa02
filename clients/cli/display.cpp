#include "display.hpp"

#include <cstdio>
#include <ctime>

namespace outloud::client {
namespace {

// Decodes one UTF-8 sequence at text[i]; returns its length, or 0 when the bytes are not valid UTF-8.
std::size_t decode_utf8(std::string_view text, std::size_t i, char32_t& cp) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  std::size_t length = 0;
  if (lead < 0x80) {
    cp = lead;
    return 1;
  }
  if (lead >= 0xC2 && lead <= 0xDF) length = 2, cp = lead & 0x1F;
  else if (lead >= 0xE0 && lead <= 0xEF) length = 3, cp = lead & 0x0F;
  else if (lead >= 0xF0 && lead <= 0xF4) length = 4, cp = lead & 0x07;
  else return 0;
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  // Overlong forms, surrogates and values beyond U+10FFFF are invalid.
  if ((length == 3 && cp < 0x800) || (length == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return length;
}

bool is_bidi_control(char32_t cp) {
  return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x061C;
}

}  // namespace

std::string terminal_safe(std::string_view text, bool multiline, std::string_view indent) {
  std::string out;
  out.reserve(text.size());
  char code[16];
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    const std::size_t length = decode_utf8(text, i, cp);
    if (length == 0) {
      std::snprintf(code, sizeof code, "\\x%02X", static_cast<unsigned char>(text[i]));
      out += code;
      ++i;
      continue;
    }
    if (cp == '\n') {
      if (multiline) {
        out += '\n';
        out += indent;
      } else {
        out += "\u23CE";
      }
    } else if (cp == '\t') {
      out += "    ";
    } else if (cp < 0x20) {
      out += '^';
      out += static_cast<char>(cp + 0x40);
    } else if (cp == 0x7F) {
      out += "^?";
    } else if ((cp >= 0x80 && cp <= 0x9F) || is_bidi_control(cp)) {
      std::snprintf(code, sizeof code, "<U+%04X>", static_cast<unsigned>(cp));
      out += code;
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  return out;
}

std::string clock_time(std::int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm local{};
  localtime_r(&seconds, &local);
  char text[8];
  std::snprintf(text, sizeof text, "%02d:%02d", local.tm_hour, local.tm_min);
  return text;
}

}  // namespace outloud::client
