// Turning a connection away at once, before any request is read: an HTTP 503 with a short reason,
// then the connection is closed. Used at the connection caps and at the file-descriptor limit.
#pragma once

#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>

namespace outloud::net {

// The whole 503 response ("Connection: close", "Retry-After"), the reason as its text body.
std::string service_unavailable_response(std::string_view reason);

// Writes the 503, then reads (and discards) what the peer sent until it closes, for at most a
// second, so that closing does not reset the connection under the response. Runs on the socket's
// executor; holds the socket's descriptor for that second at most.
void refuse_connection(boost::asio::ip::tcp::socket socket, std::string_view reason);

// The same on a raw, non-blocking descriptor, synchronously and without waiting: used at the
// descriptor limit, where the descriptor is borrowed from the reserve and must be given back now.
// Closes `fd`.
void refuse_descriptor_now(int fd, std::string_view reason);

}  // namespace outloud::net
