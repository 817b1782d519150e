#include "core/kafka/client/versions.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/kafka/protocol/api_keys.h"

namespace kz::kafka::client {

std::optional<VersionRange> client_versions(int16_t api_key) {
  const ApiInfo* api = find_api(api_key);
  if (api == nullptr) return std::nullopt;
  VersionRange r{api->version_min, api->version_max};
  if (api_key == ProduceRequest::kApiKey) r.min = std::max<int16_t>(r.min, 3);
  if (api_key == FetchRequest::kApiKey) r.min = std::max<int16_t>(r.min, 4);
  // ListOffsets v3+ adds nothing kz's consumer uses (leader epochs), and librdkafka 2.0.2's mock
  // broker answers v5 with 8 bytes more than the layout: stay at v2, what librdkafka itself sends.
  if (api_key == ListOffsetsRequest::kApiKey) r.max = std::min<int16_t>(r.max, 2);
  if (r.min > r.max) return std::nullopt;
  return r;
}

ApiVersionTable::ApiVersionTable(const ApiVersionsResponse& response) {
  for (const auto& k : response.api_keys) broker_[k.api_key] = VersionRange{k.min_version, k.max_version};
}

std::optional<VersionRange> ApiVersionTable::broker(int16_t api_key) const {
  auto it = broker_.find(api_key);
  if (it == broker_.end()) return std::nullopt;
  return it->second;
}

Result<int16_t> ApiVersionTable::pick(int16_t api_key, VersionRange client) const {
  const ApiInfo* api = find_api(api_key);
  std::string name = api != nullptr ? std::string(api->name) : fmt::format("api {}", api_key);
  std::optional<VersionRange> b = broker(api_key);
  if (!b.has_value()) {
    return Status(Code::kUnsupported, fmt::format("the broker does not support {} (key {})", name, api_key));
  }
  int16_t hi = std::min(b->max, client.max);
  int16_t lo = std::max(b->min, client.min);
  if (hi < lo) {
    return Status(Code::kUnsupported, fmt::format("no common version of {}: broker {}..{}, client {}..{}", name, b->min,
                                                  b->max, client.min, client.max));
  }
  return hi;
}

Result<int16_t> ApiVersionTable::pick(int16_t api_key) const {
  std::optional<VersionRange> c = client_versions(api_key);
  if (!c.has_value()) return Status(Code::kUnsupported, fmt::format("kz's client does not speak api {}", api_key));
  return pick(api_key, *c);
}

std::optional<int16_t> api_versions_retry_version(int16_t rejected, const ApiVersionsResponse& error_response) {
  if (rejected <= 0) return std::nullopt;
  for (const auto& k : error_response.api_keys) {
    if (k.api_key != ApiVersionsRequest::kApiKey) continue;
    int16_t v = std::min<int16_t>(k.max_version, static_cast<int16_t>(rejected - 1));
    if (v < k.min_version || v < 0) return std::nullopt;
    return v;
  }
  return int16_t{0};
}

}  // namespace kz::kafka::client
