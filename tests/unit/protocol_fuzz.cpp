// Deterministic mutation fuzzing of the client frame parser: valid frames with random bytes
// flipped, inserted, deleted or duplicated must always give either a frame or a bad_request,
// never a crash, an exception or an invalid error message.
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "outloud/protocol/client_frames.hpp"
#include "outloud/protocol/server_frames.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace protocol_fuzz_test {

using namespace outloud::protocol;

namespace {

const std::vector<std::string> kSeeds = {
    R"({"type":"hello","id":1,"name":"Paul Ashworth","org":"essex-cc"})",
    R"({"type":"hello","id":"h","token":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.sig"})",
    R"({"type":"ping","id":9})",
    R"({"type":"status","state":"away"})",
    R"({"type":"create","id":2,"room":"housing","title":"Affordable housing","kind":"session"})",
    R"({"type":"rooms","id":3})",
    R"({"type":"join","id":4,"room":"housing","since":17,"limit":50})",
    R"({"type":"leave","id":5,"room":"housing"})",
    R"({"type":"send","id":6,"room":"housing","text":"Caf\u00e9 \"ok\" \ud83d\ude00 é","topic":"t","tag":"learn","reply_to":3,"nonce":"n"})",
    R"({"type":"history","id":7,"room":"housing","before":100,"limit":20})",
    R"({"type":"typing","room":"housing","topic":"general"})",
    R"({"type":"role","id":8,"room":"r","user":"u-1","role":"facilitator"})",
    R"({"type":"hand","id":10,"room":"r","up":true})",
    R"({"type":"floor","id":11,"room":"r","user":null})",
    R"({"type":"timer","id":12,"room":"r","action":"start","seconds":300,"label":"Pairs"})",
    R"({"type":"poll","id":13,"room":"r","action":"open","question":"Q?","options":["a","b","c"],"multi":true,"anonymous":false})",
    R"({"type":"poll","id":14,"room":"r","action":"close","poll":"p1"})",
    R"({"type":"vote","id":15,"room":"r","poll":"p1","choices":[0,2]})",
    R"({"type":"breakout","id":16,"room":"r","action":"open","groups":3,"strategy":"manual","assign":{"u1":1,"u2":2},"minutes":10})",
    R"({"type":"breakout","id":17,"room":"r","action":"broadcast","text":"hi"})",
    R"({"type":"agenda","id":18,"room":"r","items":[{"title":"Check-in","minutes":5},{"title":"Close"}]})",
    R"({"type":"agenda","id":19,"room":"r","action":"next"})",
    R"({"type":"lock","id":20,"room":"r","locked":true})",
    R"({"type":"export","id":21,"room":"r"})",
};

// Bytes that tend to change the structure of JSON or break UTF-8.
constexpr char kInteresting[] = {'"', '\\', '{', '}', '[', ']', ',', ':', '0', '9', '-', '.', 'e', 'u', 'n', ' ',
                                 '\0', '\x7f', '\x80', '\xbf', '\xc3', '\xed', '\xf0', '\xf4', '\xff'};

std::string mutate(std::string text, std::mt19937& rng) {
  std::uniform_int_distribution<int> operations(1, 4);
  const int count = operations(rng);
  for (int i = 0; i < count; ++i) {
    const auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n)(rng); };
    const auto random_byte = [&]() {
      return pick(1) ? kInteresting[pick(sizeof(kInteresting) - 1)] : static_cast<char>(pick(255));
    };
    switch (pick(5)) {
      case 0:  // flip one bit
        if (!text.empty()) text[pick(text.size() - 1)] ^= static_cast<char>(1u << pick(7));
        break;
      case 1:  // overwrite a byte
        if (!text.empty()) text[pick(text.size() - 1)] = random_byte();
        break;
      case 2:  // insert a byte
        text.insert(text.begin() + static_cast<std::ptrdiff_t>(pick(text.size())), random_byte());
        break;
      case 3:  // delete a run of bytes
        if (!text.empty()) {
          const std::size_t at = pick(text.size() - 1);
          text.erase(at, 1 + pick(std::min<std::size_t>(8, text.size() - at - 1)));
        }
        break;
      case 4: {  // duplicate a chunk somewhere else
        if (text.empty()) break;
        const std::size_t at = pick(text.size() - 1);
        const std::string chunk = text.substr(at, 1 + pick(16));
        text.insert(pick(text.size()), chunk);
        break;
      }
      default:  // truncate
        text.resize(pick(text.size()));
        break;
    }
  }
  return text;
}

bool is_valid_json_object(const std::string& json) {
  rapidjson::Document document;
  document.Parse<rapidjson::kParseValidateEncodingFlag>(json.data(), json.size());
  return !document.HasParseError() && document.IsObject();
}

}  // namespace

TEST_CASE("every seed frame of the fuzz test is valid", "[protocol]") {
  for (const std::string& seed : kSeeds) {
    INFO(seed);
    CHECK(std::holds_alternative<ClientFrame>(parse_client_frame(seed)));
  }
}

TEST_CASE("mutated frames give a frame or a bad_request, never a crash", "[protocol]") {
  std::mt19937 rng(20240611);  // fixed seed: the same inputs on every run
  int accepted = 0;
  int refused = 0;
  for (int iteration = 0; iteration < 20000; ++iteration) {
    const std::string& seed = kSeeds[static_cast<std::size_t>(iteration) % kSeeds.size()];
    const std::string input = mutate(seed, rng);
    std::variant<ClientFrame, FrameError> result;
    REQUIRE_NOTHROW(result = parse_client_frame(input));
    if (const auto* error = std::get_if<FrameError>(&result)) {
      ++refused;
      if (error->code != ErrorCode::bad_request || error->message.empty() || !is_valid_utf8(error->message)) {
        FAIL("bad refusal of " << Catch::Detail::stringify(input) << ": " << error->message);
      }
      // The error frame built from it is well-formed JSON.
      if (!is_valid_json_object(error_frame(error->id, error->code, error->message))) {
        FAIL("unparseable error frame for " << Catch::Detail::stringify(input));
      }
    } else {
      ++accepted;
      const ClientFrame& frame = std::get<ClientFrame>(result);
      if (const std::string* room = room_of(frame.body); room && (room->empty() || !is_valid_utf8(*room))) {
        FAIL("accepted a bad room id from " << Catch::Detail::stringify(input));
      }
      if (const auto* send = std::get_if<Send>(&frame.body)) {
        const std::size_t chars = utf8_length(send->text);
        if (!is_valid_utf8(send->text) || chars < 1 || chars > 16000) FAIL("accepted a bad text");
      }
      if (frame.id && !is_valid_json_object(ok_frame(frame.id))) FAIL("unparseable ok frame");
    }
  }
  // Both outcomes occur: the mutations neither always break nor never break the frames.
  CHECK(accepted > 300);
  CHECK(refused > 5000);
}

}  // namespace protocol_fuzz_test
