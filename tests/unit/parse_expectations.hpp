// Expectations on the client-frame parser shared by the [protocol] tests: a frame accepted as a
// given body, or refused as bad_request naming the field (with the request id "f" echoed).
#pragma once

#include <string>
#include <variant>

#include <catch2/catch.hpp>

#include "outloud/protocol/client_frames.hpp"

namespace outloud::testing {

template <typename Body>
Body accepted_as(const std::string& text) {
  auto result = protocol::parse_client_frame(text);
  if (const auto* error = std::get_if<protocol::FrameError>(&result)) FAIL("refused " << text << ": " << error->message);
  protocol::ClientFrame frame = std::get<protocol::ClientFrame>(std::move(result));
  REQUIRE(std::holds_alternative<Body>(frame.body));
  return std::get<Body>(std::move(frame.body));
}

inline void refused_naming(const std::string& text, const std::string& field) {
  INFO(text);
  auto result = protocol::parse_client_frame(text);
  REQUIRE(std::holds_alternative<protocol::FrameError>(result));
  const protocol::FrameError& error = std::get<protocol::FrameError>(result);
  CHECK(error.code == protocol::ErrorCode::bad_request);
  CHECK_THAT(error.message, Catch::Matchers::Contains("'" + field));
  CHECK(error.id == std::optional<protocol::RequestId>(protocol::RequestId{std::string("f")}));
}

}  // namespace outloud::testing
