#include "core/kafka/client/connection.h"

#include <fmt/format.h>

#include <array>

#include "core/kafka/protocol/api_keys.h"

namespace kz::kafka::client {

namespace {

// librdkafka's mock coordinator answers a SyncGroup it fails (e.g. REBALANCE_IN_PROGRESS) with a
// null Assignment, which the schema does not allow (Kafka writes empty bytes). For the classic
// layouts (v0-3: correlation id, [throttle time v1+], error code, int32 length) a body that ends
// in a -1 length is rewritten to 0, so the error code can be read. True if it patched.
bool patch_null_sync_assignment(int16_t api_key, int16_t version, Bytes* payload) {
  if (api_key != SyncGroupRequest::kApiKey || version > 3) return false;
  const size_t length_at = 4 + (version >= 1 ? 4 : 0) + 2;
  if (payload->size() != length_at + 4) return false;
  uint8_t* p = payload->data() + length_at;
  if (p[0] != 0xff || p[1] != 0xff || p[2] != 0xff || p[3] != 0xff) return false;
  p[0] = p[1] = p[2] = p[3] = 0;
  return true;
}

}  // namespace

Result<std::unique_ptr<Connection>> Connection::open(const io::Env& env, const io::Address& address,
                                                     const ConnectionOptions& options) {
  Result<std::unique_ptr<io::Stream>> stream = env.net->connect(address, options.connect_timeout_ns);
  if (!stream.is_ok()) return stream.status().with_context(fmt::format("connect to {}", address.to_string()));
  std::unique_ptr<Connection> c(new Connection(env, address, options, std::move(stream).value()));
  Status st = c->negotiate();
  if (!st.is_ok()) return st.with_context(fmt::format("ApiVersions with {}", address.to_string()));
  return c;
}

Connection::Connection(const io::Env& env, io::Address address, ConnectionOptions options,
                       std::unique_ptr<io::Stream> stream)
    : env_(env), address_(std::move(address)), options_(std::move(options)), stream_(std::move(stream)) {}

Connection::~Connection() { close(); }

void Connection::close() {
  if (stream_) stream_->close();
  broken_ = true;
}

Status Connection::fail(Status status) {
  if (!broken_) env_.log.debug("kafka.client", "connection to {} broken: {}", address_.to_string(), status.to_string());
  close();
  return status;
}

Status Connection::send(const Request& request, int16_t version, int32_t* correlation_id) {
  if (broken_) return Status(Code::kClosed, fmt::format("connection to {} is broken", address_.to_string()));
  RequestHeader header;
  header.api_key = api_key_of(request);
  header.api_version = version;
  header.correlation_id = next_correlation_id_++;
  header.client_id = options_.client_id;
  KZ_ASSIGN_OR_RETURN(Bytes frame, encode_request_frame(header, request));
  if (Status st = stream_->write_all(frame); !st.is_ok()) return fail(st);
  *correlation_id = header.correlation_id;
  return Status::ok();
}

Result<Bytes> Connection::read_frame() {
  std::array<uint8_t, 4> size_bytes{};
  if (Status st = stream_->read_exact(size_bytes, options_.request_timeout_ns); !st.is_ok()) return fail(st);
  int32_t size = static_cast<int32_t>((uint32_t{size_bytes[0]} << 24) | (uint32_t{size_bytes[1]} << 16) |
                                      (uint32_t{size_bytes[2]} << 8) | uint32_t{size_bytes[3]});
  if (size < 4 || size > options_.frame_bytes_max) {
    return fail(Status(Code::kCorruption, fmt::format("response frame of {} bytes from {}", size, address_.to_string())));
  }
  Bytes payload(static_cast<size_t>(size));
  if (Status st = stream_->read_exact(payload, options_.request_timeout_ns); !st.is_ok()) return fail(st);
  return payload;
}

Status Connection::send_only(const Request& request, int16_t version) {
  int32_t correlation_id = 0;
  return send(request, version, &correlation_id);
}

Result<Response> Connection::roundtrip(const Request& request, int16_t version) {
  int32_t correlation_id = 0;
  KZ_RETURN_IF_ERROR(send(request, version, &correlation_id));
  KZ_ASSIGN_OR_RETURN(Bytes payload, read_frame());
  ResponseHeader header;
  int16_t api_key = api_key_of(request);
  Result<Response> response = decode_response_frame_payload(api_key, version, payload, &header);
  if (!response.is_ok() && patch_null_sync_assignment(api_key, version, &payload)) {
    env_.log.debug("kafka.client", "{}: SyncGroup answer with a null assignment read as empty", address_.to_string());
    response = decode_response_frame_payload(api_key, version, payload, &header);
  }
  if (!response.is_ok()) return fail(response.status().with_context(fmt::format("response from {}", address_.to_string())));
  if (header.correlation_id != correlation_id) {
    return fail(Status(Code::kCorruption, fmt::format("response from {} has correlation id {}, expected {}",
                                                      address_.to_string(), header.correlation_id, correlation_id)));
  }
  return response;
}

Status Connection::negotiate() {
  int16_t version = ApiVersionsRequest::kVersionMax;
  for (int attempt = 0; attempt < 3; attempt++) {
    ApiVersionsRequest request;
    request.client_software_name = "kz";
    request.client_software_version = "0.1";
    int32_t correlation_id = 0;
    KZ_RETURN_IF_ERROR(send(Request(request), version, &correlation_id));
    KZ_ASSIGN_OR_RETURN(Bytes payload, read_frame());
    // The response header is v0 for every ApiVersions version (KIP-511).
    Reader reader(payload);
    ResponseHeader header;
    KZ_RETURN_IF_ERROR(decode_response_header(reader, 0, &header));
    if (header.correlation_id != correlation_id) {
      return fail(Status(Code::kCorruption, "ApiVersions response with a wrong correlation id"));
    }
    // A broker that rejects the version answers in the v0 layout: error code, then its ranges.
    Reader peek(std::span<const uint8_t>(payload).subspan(reader.position()));
    int16_t error_code = 0;
    KZ_RETURN_IF_ERROR(peek.int16(&error_code));
    if (error_code == errc::kUnsupportedVersion) {
      ApiVersionsResponse rejected;
      Reader body(std::span<const uint8_t>(payload).subspan(reader.position()));
      (void)rejected.decode(body, 0);  // best effort: the retry falls back to v0 without ranges
      std::optional<int16_t> retry = api_versions_retry_version(version, rejected);
      env_.log.debug("kafka.client", "{} rejected ApiVersions v{}; retrying with v{}", address_.to_string(), version,
                     retry.value_or(-1));
      if (!retry.has_value()) return fail(Status(Code::kUnsupported, "the broker rejects every ApiVersions version"));
      version = *retry;
      continue;
    }
    Result<Response> response =
        decode_response_body(ApiVersionsRequest::kApiKey, version, std::span<const uint8_t>(payload).subspan(reader.position()));
    if (!response.is_ok()) return fail(response.status());
    const auto& body = std::get<ApiVersionsResponse>(response.value());
    if (body.error_code != errc::kNone) {
      return fail(Status(Code::kUnsupported, fmt::format("ApiVersions failed: {}", error_name(body.error_code))));
    }
    versions_ = ApiVersionTable(body);
    api_versions_version_ = version;
    return Status::ok();
  }
  return fail(Status(Code::kUnsupported, "ApiVersions negotiation did not converge"));
}

}  // namespace kz::kafka::client
