// Entry points for the connection layer and handlers: turn a request frame into (header, typed
// body) and a typed response into a frame, choosing header versions and flexible layouts from the
// API table. A frame is Kafka's unit on the wire: int32 size, then header, then body.
//
// Typical broker loop (one handler per API, dispatched on the variant's alternative):
//   KZ_ASSIGN_OR_RETURN(DecodedRequest request, decode_request(payload));
//   Response response = handle(request);                    // e.g. std::visit over request.body
//   KZ_ASSIGN_OR_RETURN(Bytes frame, encode_response_frame(request.header.correlation_id,
//                                                          request.header.api_version, response));
// If decode_request fails, decode_request_header_only() still yields the correlation id so the
// broker can answer (e.g. UNSUPPORTED_VERSION for ApiVersions) or close the connection.
#pragma once

#include <cstdint>
#include <span>

#include "core/base/status.h"
#include "core/kafka/protocol/api_keys.h"
#include "core/kafka/protocol/errors.h"
#include "core/kafka/protocol/generated/messages.h"
#include "core/kafka/protocol/headers.h"
#include "core/kafka/protocol/wire.h"

namespace kz::kafka {

struct DecodedRequest {
  RequestHeader header;
  int16_t header_version = 1;
  Request body;
};

int16_t api_key_of(const Request& request);
int16_t api_key_of(const Response& response);

// Body only (no header). The whole span must be consumed: trailing bytes are an error, because
// they mean the schema and the sender disagree about the layout.
Result<Request> decode_request_body(int16_t api_key, int16_t api_version, std::span<const uint8_t> body);
Result<Response> decode_response_body(int16_t api_key, int16_t api_version, std::span<const uint8_t> body);
Status encode_request_body(const Request& request, int16_t api_version, Writer& writer);
Status encode_response_body(const Response& response, int16_t api_version, Writer& writer);

// `payload` is a frame without its int32 size prefix.
Result<RequestHeader> decode_request_header_only(std::span<const uint8_t> payload);
Result<DecodedRequest> decode_request(std::span<const uint8_t> payload);

// Whole frames, size prefix included.
Result<Bytes> encode_request_frame(const RequestHeader& header, const Request& request);
Result<Bytes> encode_response_frame(int32_t correlation_id, int16_t api_version, const Response& response);
// The client side: `api_key`/`api_version` come from the request this answers.
Result<Response> decode_response_frame_payload(int16_t api_key, int16_t api_version, std::span<const uint8_t> payload,
                                               ResponseHeader* header_out);

}  // namespace kz::kafka
