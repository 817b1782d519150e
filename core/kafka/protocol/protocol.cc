#include "core/kafka/protocol/protocol.h"

#include <limits>
#include <variant>

namespace kz::kafka {
namespace {

Status trailing_bytes_error(int16_t api_key, int16_t api_version, const char* direction, size_t count) {
  const ApiInfo* api = find_api(api_key);
  std::string name = api == nullptr ? "api " + std::to_string(api_key) : std::string(api->name);
  return Status(Code::kCorruption, name + " " + direction + " v" + std::to_string(api_version) + ": " +
                                       std::to_string(count) + " trailing bytes after the body");
}

// Reserves the size prefix; finish_frame fills it in once the frame is complete.
size_t begin_frame(Writer& writer) {
  size_t offset = writer.size();
  writer.int32(0);
  return offset;
}

Status finish_frame(Writer& writer, size_t offset) {
  size_t payload_bytes = writer.size() - offset - 4;
  if (payload_bytes > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return Status(Code::kInvalidArgument, "frame of " + std::to_string(payload_bytes) + " bytes is too large");
  }
  writer.patch_int32(offset, static_cast<int32_t>(payload_bytes));
  return Status::ok();
}

}  // namespace

int16_t api_key_of(const Request& request) {
  return std::visit([](const auto& message) { return std::decay_t<decltype(message)>::kApiKey; }, request);
}

int16_t api_key_of(const Response& response) {
  return std::visit([](const auto& message) { return std::decay_t<decltype(message)>::kApiKey; }, response);
}

Result<Request> decode_request_body(int16_t api_key, int16_t api_version, std::span<const uint8_t> body) {
  Reader reader(body);
  KZ_ASSIGN_OR_RETURN(Request request, generated::decode_request_body(api_key, api_version, reader));
  if (!reader.empty()) return trailing_bytes_error(api_key, api_version, "request", reader.remaining_bytes());
  return request;
}

Result<Response> decode_response_body(int16_t api_key, int16_t api_version, std::span<const uint8_t> body) {
  Reader reader(body);
  KZ_ASSIGN_OR_RETURN(Response response, generated::decode_response_body(api_key, api_version, reader));
  if (!reader.empty()) return trailing_bytes_error(api_key, api_version, "response", reader.remaining_bytes());
  return response;
}

Status encode_request_body(const Request& request, int16_t api_version, Writer& writer) {
  return std::visit([&](const auto& message) { return message.encode(writer, api_version); }, request);
}

Status encode_response_body(const Response& response, int16_t api_version, Writer& writer) {
  return std::visit([&](const auto& message) { return message.encode(writer, api_version); }, response);
}

Result<RequestHeader> decode_request_header_only(std::span<const uint8_t> payload) {
  Reader reader(payload);
  RequestHeader header;
  int16_t header_version = 0;
  KZ_RETURN_IF_ERROR(decode_request_header(reader, &header, &header_version));
  return header;
}

Result<DecodedRequest> decode_request(std::span<const uint8_t> payload) {
  Reader reader(payload);
  DecodedRequest decoded{.header = {}, .header_version = 0, .body = Request(std::in_place_index<0>)};
  KZ_RETURN_IF_ERROR(decode_request_header(reader, &decoded.header, &decoded.header_version));
  if (find_api(decoded.header.api_key) == nullptr) {
    return Status(Code::kUnsupported, "api key " + std::to_string(decoded.header.api_key) + " is not served");
  }
  KZ_ASSIGN_OR_RETURN(decoded.body,
                      decode_request_body(decoded.header.api_key, decoded.header.api_version,
                                          payload.subspan(reader.position())));
  return decoded;
}

Result<Bytes> encode_request_frame(const RequestHeader& header, const Request& request) {
  if (header.api_key != api_key_of(request)) {
    return Status(Code::kInvalidArgument, "header api key " + std::to_string(header.api_key) +
                                              " does not match the body's " + std::to_string(api_key_of(request)));
  }
  Writer writer;
  size_t offset = begin_frame(writer);
  KZ_RETURN_IF_ERROR(
      encode_request_header(header, request_header_version(header.api_key, header.api_version), writer));
  KZ_RETURN_IF_ERROR(encode_request_body(request, header.api_version, writer));
  KZ_RETURN_IF_ERROR(finish_frame(writer, offset));
  return writer.take();
}

Result<Bytes> encode_response_frame(int32_t correlation_id, int16_t api_version, const Response& response) {
  Writer writer;
  size_t offset = begin_frame(writer);
  encode_response_header(ResponseHeader{.correlation_id = correlation_id},
                         response_header_version(api_key_of(response), api_version), writer);
  KZ_RETURN_IF_ERROR(encode_response_body(response, api_version, writer));
  KZ_RETURN_IF_ERROR(finish_frame(writer, offset));
  return writer.take();
}

Result<Response> decode_response_frame_payload(int16_t api_key, int16_t api_version, std::span<const uint8_t> payload,
                                               ResponseHeader* header_out) {
  Reader reader(payload);
  KZ_RETURN_IF_ERROR(decode_response_header(reader, response_header_version(api_key, api_version), header_out));
  return decode_response_body(api_key, api_version, payload.subspan(reader.position()));
}

}  // namespace kz::kafka
