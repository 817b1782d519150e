#include "core/kafka/protocol/headers.h"

#include "core/kafka/protocol/api_keys.h"

namespace kz::kafka {
namespace {

// Header tagged fields: none are defined for the versions kz serves, so all are skipped.
Status skip_tagged_fields(Reader& reader) {
  uint32_t count = 0;
  KZ_RETURN_IF_ERROR(reader.unsigned_varint(&count));
  for (uint32_t i = 0; i < count; i++) {
    uint32_t tag = 0;
    uint32_t size_bytes = 0;
    KZ_RETURN_IF_ERROR(reader.unsigned_varint(&tag));
    KZ_RETURN_IF_ERROR(reader.unsigned_varint(&size_bytes));
    KZ_RETURN_IF_ERROR(reader.skip(size_bytes));
  }
  return Status::ok();
}

Status header_error(const Status& status, const char* what) {
  return Status(status.code(), std::string(what) + ": " + status.message());
}

Status decode_request_header_rest(Reader& reader, int16_t header_version, RequestHeader* out) {
  Status status = reader.int32(&out->correlation_id);
  if (!status.is_ok()) return header_error(status, "request header correlation_id");
  out->client_id.reset();
  if (header_version >= 1) {
    // The client id stays a classic string even in the flexible header v2 (KIP-482).
    status = reader.nullable_string(&out->client_id, /*compact=*/false, /*nullable=*/true);
    if (!status.is_ok()) return header_error(status, "request header client_id");
  }
  if (header_version >= 2) {
    status = skip_tagged_fields(reader);
    if (!status.is_ok()) return header_error(status, "request header tagged fields");
  }
  return Status::ok();
}

}  // namespace

Status encode_request_header(const RequestHeader& header, int16_t header_version, Writer& writer) {
  KZ_ASSERT(header_version >= 0);
  KZ_ASSERT(header_version <= 2);
  writer.int16(header.api_key);
  writer.int16(header.api_version);
  writer.int32(header.correlation_id);
  if (header_version >= 1) {
    KZ_RETURN_IF_ERROR(writer.nullable_string(header.client_id, /*compact=*/false, /*nullable=*/true));
  }
  if (header_version >= 2) writer.unsigned_varint(0);
  return Status::ok();
}

Status decode_request_header(Reader& reader, int16_t header_version, RequestHeader* out) {
  if (header_version < 0 || header_version > 2) {
    return Status(Code::kInvalidArgument, "request header v" + std::to_string(header_version) + " does not exist");
  }
  Status status = reader.int16(&out->api_key);
  if (!status.is_ok()) return header_error(status, "request header api_key");
  status = reader.int16(&out->api_version);
  if (!status.is_ok()) return header_error(status, "request header api_version");
  return decode_request_header_rest(reader, header_version, out);
}

Status decode_request_header(Reader& reader, RequestHeader* out, int16_t* header_version_out) {
  Status status = reader.int16(&out->api_key);
  if (!status.is_ok()) return header_error(status, "request header api_key");
  status = reader.int16(&out->api_version);
  if (!status.is_ok()) return header_error(status, "request header api_version");
  int16_t header_version = request_header_version(out->api_key, out->api_version);
  KZ_RETURN_IF_ERROR(decode_request_header_rest(reader, header_version, out));
  *header_version_out = header_version;
  return Status::ok();
}

void encode_response_header(const ResponseHeader& header, int16_t header_version, Writer& writer) {
  KZ_ASSERT(header_version >= 0);
  KZ_ASSERT(header_version <= 1);
  writer.int32(header.correlation_id);
  if (header_version >= 1) writer.unsigned_varint(0);
}

Status decode_response_header(Reader& reader, int16_t header_version, ResponseHeader* out) {
  if (header_version < 0 || header_version > 1) {
    return Status(Code::kInvalidArgument, "response header v" + std::to_string(header_version) + " does not exist");
  }
  Status status = reader.int32(&out->correlation_id);
  if (!status.is_ok()) return header_error(status, "response header correlation_id");
  if (header_version >= 1) {
    status = skip_tagged_fields(reader);
    if (!status.is_ok()) return header_error(status, "response header tagged fields");
  }
  return Status::ok();
}

}  // namespace kz::kafka
