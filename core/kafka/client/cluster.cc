#include "core/kafka/client/cluster.h"

#include <fmt/format.h>

#include <algorithm>

namespace kz::kafka::client {

Result<std::vector<io::Address>> parse_bootstrap(std::string_view servers) {
  std::vector<io::Address> out;
  size_t start = 0;
  while (start <= servers.size()) {
    size_t end = servers.find(',', start);
    if (end == std::string_view::npos) end = servers.size();
    std::string_view one = servers.substr(start, end - start);
    if (!one.empty()) {
      Result<io::Address> a = io::Address::parse(one);
      if (!a.is_ok()) return a.status().with_context(fmt::format("bootstrap server '{}'", one));
      out.push_back(*a);
    }
    start = end + 1;
  }
  if (out.empty()) return Status(Code::kInvalidArgument, "no bootstrap server given (expected host:port[,host:port...])");
  return out;
}

Cluster::Cluster(const io::Env& env, ClusterOptions options) : env_(env), options_(std::move(options)) {}

Cluster::~Cluster() = default;

void Cluster::sleep_backoff() { env_.clock->sleep_for(options_.retry_backoff_ns); }

Result<Connection*> Cluster::connect(const io::Address& address, int32_t key) {
  auto it = connections_.find(key);
  if (it != connections_.end() && !it->second->broken() && it->second->address() == address) return it->second.get();
  KZ_ASSIGN_OR_RETURN(std::unique_ptr<Connection> c, Connection::open(env_, address, options_.connection));
  env_.log.debug("kafka.client", "connected to {} (node {}), ApiVersions v{}", address.to_string(), key,
                 c->api_versions_version());
  Connection* raw = c.get();
  connections_[key] = std::move(c);
  return raw;
}

Result<Connection*> Cluster::broker(int32_t node_id) {
  auto it = brokers_.find(node_id);
  if (it == brokers_.end()) return Status(Code::kNotFound, fmt::format("no broker {} in the metadata", node_id));
  return connect(it->second, node_id);
}

Result<Connection*> Cluster::at(int32_t node_id, const io::Address& address) { return connect(address, node_id); }

Result<Connection*> Cluster::any() {
  Status last(Code::kConnectionRefused, "no broker reachable");
  for (const auto& [id, address] : brokers_) {
    Result<Connection*> c = connect(address, id);
    if (c.is_ok()) return c;
    last = c.status();
  }
  for (size_t i = 0; i < options_.bootstrap.size(); i++) {
    Result<Connection*> c = connect(options_.bootstrap[i], -1 - static_cast<int32_t>(i));
    if (c.is_ok()) return c;
    last = c.status();
  }
  return last;
}

Status Cluster::refresh(const std::vector<std::string>& topics) {
  Status last = Status::ok();
  for (int32_t attempt = 0; attempt < options_.metadata_attempts_max; attempt++) {
    if (attempt > 0) sleep_backoff();
    Result<Connection*> conn = any();
    if (!conn.is_ok()) {
      last = conn.status();
      continue;
    }
    MetadataRequest request;
    request.allow_auto_topic_creation = options_.allow_auto_topic_creation;
    Result<int16_t> version = (*conn)->versions().pick(MetadataRequest::kApiKey);
    if (!version.is_ok()) return version.status();
    if (topics.empty()) {
      // v0 means "all topics" by an empty list, v1+ by null.
      if (*version >= 1) request.topics = std::nullopt;
    } else {
      for (const std::string& t : topics) request.topics->push_back({t});
    }
    Result<MetadataResponse> response = (*conn)->call(request, *version);
    if (!response.is_ok()) {
      last = response.status();
      continue;
    }
    brokers_.clear();
    for (const auto& b : response->brokers) brokers_[b.node_id] = io::Address{b.host, static_cast<uint16_t>(b.port)};
    controller_id_ = response->controller_id;
    bool retry = false;
    for (const auto& t : response->topics) {
      TopicInfo info;
      info.error_code = t.error_code;
      for (const auto& p : t.partitions) {
        info.partitions.push_back(PartitionInfo{p.partition_index, p.leader_id, p.error_code});
        if (p.leader_id < 0) retry = true;
      }
      std::sort(info.partitions.begin(), info.partitions.end(),
                [](const PartitionInfo& a, const PartitionInfo& b) { return a.partition < b.partition; });
      if (t.error_code == errc::kLeaderNotAvailable || (t.error_code == errc::kNone && info.partitions.empty())) {
        retry = true;
      }
      topics_[t.name] = std::move(info);
    }
    if (!retry) return Status::ok();
    last = Status(Code::kBusy, "some partitions have no leader yet");
  }
  if (last.is_ok()) return Status::ok();
  return last.with_context("metadata");
}

Result<const TopicInfo*> Cluster::topic(const std::string& name) {
  auto it = topics_.find(name);
  if (it == topics_.end() || it->second.error_code != errc::kNone || it->second.partitions.empty()) {
    Status st = refresh({name});
    it = topics_.find(name);
    if (it == topics_.end()) {
      if (!st.is_ok()) return st;
      return Status(Code::kNotFound, fmt::format("topic '{}' is not in the metadata", name));
    }
  }
  if (it->second.error_code != errc::kNone) {
    return Status(Code::kNotFound, fmt::format("topic '{}': {}", name, error_name(it->second.error_code)));
  }
  return &it->second;
}

Result<int32_t> Cluster::partition_count(const std::string& name) {
  KZ_ASSIGN_OR_RETURN(const TopicInfo* t, topic(name));
  return static_cast<int32_t>(t->partitions.size());
}

Result<int32_t> Cluster::leader(const TopicPartition& tp) {
  KZ_ASSIGN_OR_RETURN(const TopicInfo* t, topic(tp.topic));
  for (const PartitionInfo& p : t->partitions) {
    if (p.partition != tp.partition) continue;
    if (p.leader < 0) return Status(Code::kBusy, fmt::format("{}-{} has no leader", tp.topic, tp.partition));
    return p.leader;
  }
  return Status(Code::kNotFound, fmt::format("{} has no partition {}", tp.topic, tp.partition));
}

}  // namespace kz::kafka::client
