// libFuzzer harness for the protocol's two readers of untrusted text. Built only by
// tests/fuzz/CMakeLists.txt with clang; see protocol/README.md ("Fuzzing").
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "outloud/protocol/client_frames.hpp"
#include "outloud/protocol/parse_message.hpp"
#include "outloud/protocol/server_frames.hpp"

using namespace outloud::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = parse_client_frame(text);
  if (const auto* error = std::get_if<FrameError>(&result)) {
    if (error->code != ErrorCode::bad_request || error->message.empty()) std::abort();
    if (!is_valid_utf8(error_frame(error->id, error->code, error->message))) std::abort();
  } else {
    const ClientFrame& frame = std::get<ClientFrame>(result);
    if (const std::string* room = room_of(frame.body); room && !is_valid_utf8(*room)) std::abort();
  }
  if (const auto message = parse_message_json(text)) {
    // What the server wrote back must read back the same.
    if (parse_message_json(message_json(*message)) != message) std::abort();
  }
  return 0;
}
