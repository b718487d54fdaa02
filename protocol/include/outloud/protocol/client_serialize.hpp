// The client direction, part one: the JSON text of the frames a client sends (the frames of
// client_frames.hpp, written with RapidJSON's Writer). parse_client_frame reads each one back to
// an equal value. Covers what `outloud` and `outloud-bench` send; add a frame here before a client
// sends it.
#pragma once

#include <optional>
#include <string>

#include "outloud/protocol/client_frames.hpp"

namespace outloud::protocol {

using OptRequestId = std::optional<RequestId>;

// Optional members are left out when absent; `id` too.
std::string client_frame_json(const OptRequestId& id, const Hello& frame);
std::string client_frame_json(const OptRequestId& id, const Ping& frame);
std::string client_frame_json(const OptRequestId& id, const Status& frame);
std::string client_frame_json(const OptRequestId& id, const Create& frame);
std::string client_frame_json(const OptRequestId& id, const ListRooms& frame);
std::string client_frame_json(const OptRequestId& id, const Join& frame);
std::string client_frame_json(const OptRequestId& id, const PresencePage& frame);
std::string client_frame_json(const OptRequestId& id, const MarkRead& frame);
std::string client_frame_json(const OptRequestId& id, const Leave& frame);
std::string client_frame_json(const OptRequestId& id, const Send& frame);
std::string client_frame_json(const OptRequestId& id, const History& frame);
std::string client_frame_json(const OptRequestId& id, const Search& frame);
std::string client_frame_json(const OptRequestId& id, const Edit& frame);
std::string client_frame_json(const OptRequestId& id, const Delete& frame);
std::string client_frame_json(const OptRequestId& id, const RemoveMessage& frame);
std::string client_frame_json(const OptRequestId& id, const Hand& frame);
std::string client_frame_json(const OptRequestId& id, const Floor& frame);
std::string client_frame_json(const OptRequestId& id, const Timer& frame);
std::string client_frame_json(const OptRequestId& id, const PollOpen& frame);
std::string client_frame_json(const OptRequestId& id, const PollClose& frame);
std::string client_frame_json(const OptRequestId& id, const Vote& frame);
std::string client_frame_json(const OptRequestId& id, const BreakoutOpen& frame);
std::string client_frame_json(const OptRequestId& id, const BreakoutBroadcast& frame);
std::string client_frame_json(const OptRequestId& id, const BreakoutClose& frame);
std::string client_frame_json(const OptRequestId& id, const BreakoutPlace& frame);

}  // namespace outloud::protocol
