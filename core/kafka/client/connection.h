// One client connection to one Kafka broker, on the io seam. open() connects and negotiates API
// versions (ApiVersions, with the KIP-511 fallback in versions.h); call() sends one request in the
// highest version both sides speak and reads its response.
//
// One request at a time: the caller's fiber sends and waits for the answer (no pipelining). A
// Connection must be used by one fiber at a time. Any transport or framing error breaks the
// connection for good (broken() turns true; the owner opens a new one): a response that does not
// decode means the two sides disagree about the stream, and nothing after it can be trusted.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <variant>

#include "core/io/env.h"
#include "core/kafka/client/versions.h"
#include "core/kafka/protocol/protocol.h"

namespace kz::kafka::client {

struct ConnectionOptions {
  std::string client_id = "kz";
  int64_t connect_timeout_ns = sec_to_ns(10);
  int64_t request_timeout_ns = sec_to_ns(30);
  int32_t frame_bytes_max = 256 << 20;  // a response longer than this breaks the connection
};

namespace detail {
template <typename T, typename V>
struct VariantIndex;
template <typename T, typename... Ts>
struct VariantIndex<T, std::variant<Ts...>> {
  static constexpr size_t value = [] {
    size_t i = 0;
    ((std::is_same_v<T, Ts> ? false : (++i, true)) && ...);
    return i;
  }();
};
}  // namespace detail

// The response type of a request type (the Request and Response variants list APIs in one order).
template <typename Req>
using ResponseFor = std::variant_alternative_t<detail::VariantIndex<Req, Request>::value, Response>;

class Connection {
 public:
  static Result<std::unique_ptr<Connection>> open(const io::Env& env, const io::Address& address,
                                                  const ConnectionOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const io::Address& address() const { return address_; }
  const ApiVersionTable& versions() const { return versions_; }
  // The ApiVersions version the broker accepted.
  int16_t api_versions_version() const { return api_versions_version_; }
  bool broken() const { return broken_; }
  void close();

  template <typename Req>
  Result<ResponseFor<Req>> call(const Req& request) {
    KZ_ASSIGN_OR_RETURN(int16_t version, versions_.pick(Req::kApiKey));
    return call(request, version);
  }
  template <typename Req>
  Result<ResponseFor<Req>> call(const Req& request, int16_t version) {
    KZ_ASSIGN_OR_RETURN(Response response, roundtrip(Request(request), version));
    return std::get<ResponseFor<Req>>(std::move(response));
  }
  // A request the broker does not answer (Produce with acks=0).
  Status send_only(const Request& request, int16_t version);
  Result<Response> roundtrip(const Request& request, int16_t version);

 private:
  Connection(const io::Env& env, io::Address address, ConnectionOptions options,
             std::unique_ptr<io::Stream> stream);
  Status negotiate();
  Status send(const Request& request, int16_t version, int32_t* correlation_id);
  Result<Bytes> read_frame();
  Status fail(Status status);

  io::Env env_;
  io::Address address_;
  ConnectionOptions options_;
  std::unique_ptr<io::Stream> stream_;
  ApiVersionTable versions_;
  int16_t api_versions_version_ = 0;
  int32_t next_correlation_id_ = 1;
  bool broken_ = false;
};

}  // namespace kz::kafka::client
