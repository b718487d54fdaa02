// Reads a message event's `ts` with RapidJSON's SAX reader and stops there: `ts` comes fourth, so
// the text (up to the protocol's message length) is never walked, nor anything allocated.
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include "outloud/protocol/server_frames.hpp"

namespace outloud::protocol {
namespace {

struct TsFinder : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, TsFinder> {
  int depth = 0;
  bool at_ts = false;
  std::optional<std::int64_t> ts;

  bool Default() { return !at_ts; }  // any other value after "ts": not one we can read; stop
  bool StartObject() { return !at_ts && ++depth > 0; }
  bool EndObject(rapidjson::SizeType) { return --depth > 0; }
  bool StartArray() { return !at_ts; }
  bool Key(const char* text, rapidjson::SizeType length, bool) {
    at_ts = depth == 1 && std::string_view(text, length) == "ts";
    return true;
  }
  bool Int(int value) { return found(value); }
  bool Uint(unsigned value) { return found(value); }
  bool Int64(std::int64_t value) { return found(value); }
  bool Uint64(std::uint64_t value) {
    return value <= static_cast<std::uint64_t>(INT64_MAX) ? found(static_cast<std::int64_t>(value)) : Default();
  }
  bool found(std::int64_t value) {
    if (!at_ts) return true;
    ts = value;
    return false;  // done: stops the reader
  }
};

}  // namespace

std::optional<std::int64_t> message_event_ts(std::string_view event) {
  rapidjson::MemoryStream stream(event.data(), event.size());
  rapidjson::Reader reader;
  TsFinder finder;
  reader.Parse(stream, finder);
  return finder.ts;
}

}  // namespace outloud::protocol
