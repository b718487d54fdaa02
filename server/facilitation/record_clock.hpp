// The clock a record is written in: UTC (the default), a fixed offset ("+01:00"), or an IANA zone
// ("Europe/London") read from the system's zoneinfo, whose current rule (the POSIX TZ string that
// ends every TZif file) gives its offsets and abbreviations, summer time included.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "server/backend/result.hpp"

namespace outloud::facilitation {

class RecordClock {
 public:
  RecordClock();  // UTC
  ~RecordClock();
  RecordClock(const RecordClock&);
  RecordClock& operator=(const RecordClock&);

  // How the zone is named in the record: "UTC", "Europe/London", "UTC+01:00".
  const std::string& name() const { return name_; }
  // "2026-12-01 14:03:05 GMT" (the abbreviation of the offset then in force, or "UTC+05:30").
  std::string format(std::int64_t ms) const;

  // `tz`: empty or "UTC", "+HH:MM"/"-HH:MM", or a zone name (letters, digits, `_`, `-`, `+`, `/`).
  // Reads `zoneinfo_dir` (a blocking file read: call it off the hub's strand). bad_request when
  // the text is none of these or the zone is unknown.
  static backend::Result<RecordClock> named(std::string_view tz, const std::string& zoneinfo_dir = "/usr/share/zoneinfo");
  // Only checks the shape of `tz` (no file read), for validating a request early.
  static bool plausible(std::string_view tz);

 private:
  struct Rule;
  std::string name_;
  std::int64_t fixed_offset_s_ = 0;
  std::shared_ptr<const Rule> rule_;  // set for a zone with a POSIX rule
};

}  // namespace outloud::facilitation
