#include "server/facilitation/record_clock.hpp"

#include <boost/date_time/local_time/local_time.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

namespace outloud::facilitation {

namespace lt = boost::local_time;
namespace pt = boost::posix_time;

struct RecordClock::Rule {
  lt::time_zone_ptr zone;
  std::map<std::string, std::string> abbreviations;  // placeholder -> "<+03>"-style name, unquoted
};

namespace {

constexpr std::size_t kMaxZoneName = 64;
constexpr std::size_t kMaxZoneFile = 1 << 20;

std::string offset_text(std::int64_t seconds) {
  const char sign = seconds < 0 ? '-' : '+';
  const std::int64_t magnitude = seconds < 0 ? -seconds : seconds;
  char text[48];
  std::snprintf(text, sizeof text, "%c%02lld:%02lld", sign, static_cast<long long>(magnitude / 3600),
                static_cast<long long>(magnitude % 3600 / 60));
  return text;
}

// "2026-12-01 14:03:05" for ms since the epoch shifted by `offset_s`.
std::string wall_time(std::int64_t ms, std::int64_t offset_s) {
  using namespace std::chrono;
  const sys_time<milliseconds> point{milliseconds{ms + offset_s * 1000}};
  const auto day = floor<days>(point);
  const year_month_day date{day};
  const hh_mm_ss<milliseconds> time{point - day};
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u %02d:%02d:%02d", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()));
  return buffer;
}

bool zone_name_ok(std::string_view name) {
  if (name.empty() || name.size() > kMaxZoneName || name.front() == '/' || name.find("..") != std::string_view::npos)
    return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '+' || c == '/';
    if (!ok) return false;
  }
  return true;
}

// "+01:00" / "-05:30" -> seconds east of UTC.
std::optional<std::int64_t> fixed_offset(std::string_view tz) {
  if (tz.size() != 6 || (tz[0] != '+' && tz[0] != '-') || tz[3] != ':') return std::nullopt;
  auto digit = [&](std::size_t i) { return tz[i] >= '0' && tz[i] <= '9' ? tz[i] - '0' : -1; };
  const int h1 = digit(1), h2 = digit(2), m1 = digit(4), m2 = digit(5);
  if (h1 < 0 || h2 < 0 || m1 < 0 || m2 < 0) return std::nullopt;
  const int hours = h1 * 10 + h2, minutes = m1 * 10 + m2;
  if (hours > 14 || minutes > 59) return std::nullopt;
  const std::int64_t seconds = hours * 3600 + minutes * 60;
  return tz[0] == '-' ? -seconds : seconds;
}

// POSIX gives offsets west of Greenwich as positive ("EST5EDT"); Boost's posix_time_zone reads
// them the other way round ("EST-5EDT"). Flips the sign of the standard and the summer offset.
std::string boost_rule(const std::string& rule) {
  std::string out;
  std::size_t i = 0;
  auto name = [&] {
    while (i < rule.size() && ((rule[i] >= 'A' && rule[i] <= 'Z') || (rule[i] >= 'a' && rule[i] <= 'z'))) out += rule[i++];
  };
  auto offset = [&] {
    if (i >= rule.size() || rule[i] == ',') return;
    const bool negative = rule[i] == '-';
    if (rule[i] == '-' || rule[i] == '+') ++i;
    if (i >= rule.size() || rule[i] < '0' || rule[i] > '9') return;
    out += negative ? '+' : '-';
    while (i < rule.size() && ((rule[i] >= '0' && rule[i] <= '9') || rule[i] == ':')) out += rule[i++];
  };
  name();
  offset();
  name();
  offset();
  out.append(rule, i, std::string::npos);
  return out;
}

backend::Error bad(std::string message) { return {protocol::ErrorCode::bad_request, std::move(message)}; }

}  // namespace

RecordClock::RecordClock() : name_("UTC") {}
RecordClock::~RecordClock() = default;
RecordClock::RecordClock(const RecordClock&) = default;
RecordClock& RecordClock::operator=(const RecordClock&) = default;

bool RecordClock::plausible(std::string_view tz) {
  return tz.empty() || tz == "UTC" || fixed_offset(tz) || zone_name_ok(tz);
}

backend::Result<RecordClock> RecordClock::named(std::string_view tz, const std::string& zoneinfo_dir) {
  RecordClock clock;
  if (tz.empty() || tz == "UTC") return clock;
  if (const auto offset = fixed_offset(tz)) {
    clock.fixed_offset_s_ = *offset;
    clock.name_ = "UTC" + offset_text(*offset);
    return clock;
  }
  if (!zone_name_ok(tz)) return bad("tz must be UTC, +HH:MM, -HH:MM or a time zone name such as Europe/London");
  // The TZif file ends with "\n<POSIX TZ rule>\n": the rule in force now and from now on.
  std::ifstream file(zoneinfo_dir + "/" + std::string(tz), std::ios::binary);
  std::string bytes;
  if (file) {
    std::ostringstream read;
    read << file.rdbuf();
    bytes = read.str();
  }
  if (bytes.size() < 44 || bytes.size() > kMaxZoneFile || bytes.compare(0, 4, "TZif") != 0 || bytes.back() != '\n')
    return bad("unknown time zone '" + std::string(tz) + "'");
  const auto start = bytes.rfind('\n', bytes.size() - 2);
  std::string rule = bytes.substr(start + 1, bytes.size() - start - 2);
  if (rule.empty()) return bad("time zone '" + std::string(tz) + "' has no current rule");
  // Quoted abbreviations ("<+03>-3") become letters Boost accepts, and are given back when shown.
  auto parsed = std::make_shared<Rule>();
  for (std::size_t open; (open = rule.find('<')) != std::string::npos;) {
    const auto close = rule.find('>', open);
    if (close == std::string::npos) return bad("time zone '" + std::string(tz) + "' has an unreadable rule");
    const std::string placeholder = parsed->abbreviations.empty() ? "QQQ" : "QQR";
    parsed->abbreviations[placeholder] = rule.substr(open + 1, close - open - 1);
    rule.replace(open, close - open + 1, placeholder);
  }
  try {
    parsed->zone = lt::time_zone_ptr(new lt::posix_time_zone(boost_rule(rule)));
  } catch (const std::exception&) {
    return bad("time zone '" + std::string(tz) + "' has a rule this server cannot read");
  }
  clock.name_ = std::string(tz);
  clock.rule_ = std::move(parsed);
  return clock;
}

std::string RecordClock::format(std::int64_t ms) const {
  if (!rule_) {
    return wall_time(ms, fixed_offset_s_) + " " + (fixed_offset_s_ == 0 ? std::string("UTC") : name_);
  }
  const pt::ptime utc = pt::from_time_t(static_cast<std::time_t>(ms / 1000));
  const lt::local_date_time local(utc, rule_->zone);
  const auto offset = (local.local_time() - utc).total_seconds();
  std::string abbreviation = local.zone_abbrev();
  if (auto it = rule_->abbreviations.find(abbreviation); it != rule_->abbreviations.end())
    abbreviation = "UTC" + offset_text(offset);
  return wall_time(ms, offset) + " " + abbreviation;
}

}  // namespace outloud::facilitation
