// API version negotiation (pure). A client speaks each API in a range of versions; a broker
// advertises its ranges in ApiVersions. The version used is the highest both support. If the
// broker rejects the ApiVersions request itself (UNSUPPORTED_VERSION, KIP-511), the client retries
// once with the highest ApiVersions version the error response lists that the client also
// speaks, or v0 when the broker listed none.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "core/base/status.h"
#include "core/kafka/protocol/generated/messages.h"

namespace kz::kafka::client {

struct VersionRange {
  int16_t min = 0;
  int16_t max = 0;
  bool operator==(const VersionRange&) const = default;
};

// The versions kz's client speaks for `api_key`: the schema's range, raised where the client
// needs a newer layout (Produce >= 3 and Fetch >= 4 carry RecordBatch v2, the only format the
// producer writes) or lowered where newer versions add nothing the client uses (ListOffsets).
// nullopt for an API the client does not use.
std::optional<VersionRange> client_versions(int16_t api_key);

class ApiVersionTable {
 public:
  ApiVersionTable() = default;
  explicit ApiVersionTable(const ApiVersionsResponse& response);
  void set(int16_t api_key, VersionRange range) { broker_[api_key] = range; }
  std::optional<VersionRange> broker(int16_t api_key) const;
  // The highest version in both ranges; kUnsupported naming the API and both ranges otherwise.
  Result<int16_t> pick(int16_t api_key, VersionRange client) const;
  Result<int16_t> pick(int16_t api_key) const;

 private:
  std::map<int16_t, VersionRange> broker_;
};

// The ApiVersions version to retry with after `rejected` was answered with UNSUPPORTED_VERSION,
// given the (v0-layout) error response; nullopt when retrying cannot help (already at v0).
std::optional<int16_t> api_versions_retry_version(int16_t rejected, const ApiVersionsResponse& error_response);

}  // namespace kz::kafka::client
