// Kafka request and response headers (the bytes between a frame's size prefix and its body).
//   request header v0: api_key int16, api_version int16, correlation_id int32
//   request header v1: v0 + client_id (nullable *classic* int16-length string, even in v2)
//   request header v2: v1 + tagged fields
//   response header v0: correlation_id int32;  v1: v0 + tagged fields
// Which version applies to a message is decided by api_keys.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/base/status.h"
#include "core/kafka/protocol/wire.h"

namespace kz::kafka {

struct RequestHeader {
  int16_t api_key = 0;
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::optional<std::string> client_id;  // absent in header v0

  bool operator==(const RequestHeader&) const = default;
};

struct ResponseHeader {
  int32_t correlation_id = 0;

  bool operator==(const ResponseHeader&) const = default;
};

// REQUIRES: 0 <= header_version <= 2.
Status encode_request_header(const RequestHeader& header, int16_t header_version, Writer& writer);
Status decode_request_header(Reader& reader, int16_t header_version, RequestHeader* out);
// Reads api_key and api_version first, then the rest in the header version they imply.
Status decode_request_header(Reader& reader, RequestHeader* out, int16_t* header_version_out);

// REQUIRES: 0 <= header_version <= 1.
void encode_response_header(const ResponseHeader& header, int16_t header_version, Writer& writer);
Status decode_response_header(Reader& reader, int16_t header_version, ResponseHeader* out);

}  // namespace kz::kafka
