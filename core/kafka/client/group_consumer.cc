#include "core/kafka/client/group_consumer.h"

#include <fmt/format.h>

#include <algorithm>

namespace kz::kafka::client {

namespace {

bool coordinator_moved(int16_t code) {
  return code == errc::kNotCoordinator || code == errc::kCoordinatorNotAvailable ||
         code == errc::kCoordinatorLoadInProgress;
}

std::vector<TopicPartition> flatten(const Assignment& a) {
  std::vector<TopicPartition> out;
  for (const auto& [topic, parts] : a) {
    for (int32_t p : parts) out.push_back({topic, p});
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

GroupConsumer::GroupConsumer(Cluster& cluster, ConsumerOptions consumer_options, GroupOptions options)
    : cluster_(cluster), consumer_(cluster, consumer_options), options_(std::move(options)) {
  KZ_ASSERT(!options_.assignors.empty());
}

void GroupConsumer::subscribe(std::vector<std::string> topics) {
  std::sort(topics.begin(), topics.end());
  topics.erase(std::unique(topics.begin(), topics.end()), topics.end());
  if (topics != topics_) joined_ = false;
  topics_ = std::move(topics);
}

Result<Connection*> GroupConsumer::coordinator() {
  if (coordinator_id_.has_value()) {
    Result<Connection*> c = cluster_.at(*coordinator_id_, coordinator_address_);
    if (c.is_ok()) return c;
    coordinator_id_.reset();
  }
  KZ_ASSIGN_OR_RETURN(Connection * any, cluster_.any());
  FindCoordinatorRequest request;
  request.key = options_.group_id;
  request.key_type = 0;
  KZ_ASSIGN_OR_RETURN(FindCoordinatorResponse response, any->call(request));
  if (response.error_code != errc::kNone) {
    return Status(Code::kBusy, fmt::format("FindCoordinator for group '{}': {}", options_.group_id,
                                           error_name(response.error_code)));
  }
  coordinator_id_ = response.node_id;
  coordinator_address_ = io::Address{response.host, static_cast<uint16_t>(response.port)};
  cluster_.env().log.info("kafka.group", "group '{}' coordinator is node {} at {}", options_.group_id,
                          response.node_id, coordinator_address_.to_string());
  return cluster_.at(*coordinator_id_, coordinator_address_);
}

void GroupConsumer::revoke() {
  if (!joined_ && consumer_.assignment().empty()) return;
  std::vector<TopicPartition> old = consumer_.assignment();
  if (options_.auto_commit && joined_ && !old.empty()) {
    if (Status st = commit(); !st.is_ok()) {
      cluster_.env().log.warn("kafka.group", "commit before rebalance failed: {}", st.to_string());
    }
  }
  if (options_.on_revoked && !old.empty()) options_.on_revoked(old);
  consumer_.assign({});
  joined_ = false;
}

Status GroupConsumer::join() {
  if (topics_.empty()) return Status(Code::kInvalidArgument, "subscribe to at least one topic before polling");
  Status last = Status::ok();
  bool member_id_required_seen = false;
  for (int attempt = 0; attempt < 20; attempt++) {
    if (attempt > 0) cluster_.sleep_backoff();
    Result<Connection*> conn = coordinator();
    if (!conn.is_ok()) {
      last = conn.status();
      continue;
    }
    JoinGroupRequest request;
    request.group_id = options_.group_id;
    request.session_timeout_ms = options_.session_timeout_ms;
    request.rebalance_timeout_ms = options_.rebalance_timeout_ms;
    request.member_id = member_id_;
    request.protocol_type = "consumer";
    Bytes metadata = encode_subscription(Subscription{topics_});
    for (const std::string& a : options_.assignors) request.protocols.push_back({a, metadata});
    Result<JoinGroupResponse> joined = (*conn)->call(request);
    if (!joined.is_ok()) {
      last = joined.status();
      lose_coordinator();
      continue;
    }
    int16_t err = joined->error_code;
    if (err == errc::kMemberIdRequired) {
      // The protocol's first round trip (KIP-394): rejoin with the id, the first time without
      // counting an attempt.
      member_id_ = joined->member_id;
      last = Status(Code::kBusy, "JoinGroup: MEMBER_ID_REQUIRED");
      if (!member_id_required_seen) attempt--;
      member_id_required_seen = true;
      continue;
    }
    if (err == errc::kUnknownMemberId || err == errc::kIllegalGeneration) {
      member_id_.clear();
      last = Status(Code::kBusy, fmt::format("JoinGroup: {}", error_name(err)));
      continue;
    }
    if (coordinator_moved(err)) {
      lose_coordinator();
      last = Status(Code::kBusy, fmt::format("JoinGroup: {}", error_name(err)));
      continue;
    }
    if (err == errc::kRebalanceInProgress) continue;
    if (err != errc::kNone) {
      return Status(Code::kIoError, fmt::format("JoinGroup for group '{}': {}", options_.group_id, error_name(err)));
    }
    member_id_ = joined->member_id;
    generation_ = joined->generation_id;
    SyncGroupRequest sync;
    sync.group_id = options_.group_id;
    sync.generation_id = generation_;
    sync.member_id = member_id_;
    if (joined->leader == member_id_) {
      std::vector<GroupMember> members;
      std::vector<std::string> all_topics;
      for (const auto& m : joined->members) {
        KZ_ASSIGN_OR_RETURN(Subscription s, decode_subscription(m.metadata));
        all_topics.insert(all_topics.end(), s.topics.begin(), s.topics.end());
        members.push_back({m.member_id, std::move(s)});
      }
      std::sort(all_topics.begin(), all_topics.end());
      all_topics.erase(std::unique(all_topics.begin(), all_topics.end()), all_topics.end());
      std::map<std::string, int32_t> partitions;
      for (const std::string& t : all_topics) {
        Result<int32_t> n = cluster_.partition_count(t);
        if (n.is_ok()) partitions[t] = *n;
      }
      KZ_ASSIGN_OR_RETURN(GroupAssignment plan, assign(joined->protocol_name, members, partitions));
      for (const auto& [member, a] : plan) sync.assignments.push_back({member, encode_assignment(a)});
      cluster_.env().log.info("kafka.group", "leading group '{}' generation {}: {} members, assignor {}",
                              options_.group_id, generation_, members.size(), joined->protocol_name);
    }
    Result<SyncGroupResponse> synced = (*conn)->call(sync);
    if (!synced.is_ok()) {
      last = synced.status();
      lose_coordinator();
      continue;
    }
    if (synced->error_code != errc::kNone) {
      if (coordinator_moved(synced->error_code)) lose_coordinator();
      if (synced->error_code == errc::kUnknownMemberId) member_id_.clear();
      last = Status(Code::kBusy, fmt::format("SyncGroup: {}", error_name(synced->error_code)));
      cluster_.env().log.info("kafka.group", "SyncGroup for group '{}' generation {}: {}; rejoining", options_.group_id,
                              generation_, error_name(synced->error_code));
      continue;
    }
    KZ_ASSIGN_OR_RETURN(Assignment mine, decode_assignment(synced->assignment));
    std::vector<TopicPartition> tps = flatten(mine);
    consumer_.assign(tps);
    if (!tps.empty()) {
      KZ_ASSIGN_OR_RETURN(auto offsets, committed(tps));
      for (const auto& [tp, offset] : offsets) {
        if (offset >= 0) consumer_.seek(tp, offset);
      }
    }
    joined_ = true;
    next_heartbeat_ns_ = cluster_.env().clock->now_ns() + ms_to_ns(options_.heartbeat_interval_ms);
    cluster_.env().log.info("kafka.group", "joined group '{}' generation {} as {}: {} partitions", options_.group_id,
                            generation_, member_id_, tps.size());
    if (options_.on_assigned) options_.on_assigned(tps);
    return Status::ok();
  }
  return last.with_context(fmt::format("joining group '{}'", options_.group_id));
}

Status GroupConsumer::heartbeat() {
  KZ_ASSIGN_OR_RETURN(Connection * conn, coordinator());
  HeartbeatRequest request;
  request.group_id = options_.group_id;
  request.generation_id = generation_;
  request.member_id = member_id_;
  Result<HeartbeatResponse> response = conn->call(request);
  if (!response.is_ok()) {
    lose_coordinator();
    return response.status();
  }
  int16_t err = response->error_code;
  if (err == errc::kNone) return Status::ok();
  cluster_.env().log.info("kafka.group", "heartbeat: {}; rejoining", error_name(err));
  if (coordinator_moved(err)) lose_coordinator();
  if (err == errc::kUnknownMemberId) member_id_.clear();
  if (err == errc::kRebalanceInProgress) {
    revoke();  // commits first (still a member of this generation)
  } else {
    if (options_.on_revoked && !consumer_.assignment().empty()) options_.on_revoked(consumer_.assignment());
    consumer_.assign({});
    joined_ = false;
  }
  return Status::ok();
}

Result<std::vector<ConsumerRecord>> GroupConsumer::poll() {
  if (!joined_) {
    revoke();
    KZ_RETURN_IF_ERROR(join());
  }
  int64_t now = cluster_.env().clock->now_ns();
  if (now >= next_heartbeat_ns_) {
    next_heartbeat_ns_ = now + ms_to_ns(options_.heartbeat_interval_ms);
    if (Status st = heartbeat(); !st.is_ok()) {
      cluster_.env().log.warn("kafka.group", "heartbeat failed: {}", st.to_string());
    }
    if (!joined_) return std::vector<ConsumerRecord>{};
  }
  return consumer_.poll();
}

Status GroupConsumer::commit() {
  std::map<TopicPartition, int64_t> offsets;
  for (const TopicPartition& tp : consumer_.assignment()) {
    if (std::optional<int64_t> p = consumer_.position(tp)) offsets[tp] = *p;
  }
  return commit(offsets);
}

Status GroupConsumer::commit(const std::map<TopicPartition, int64_t>& offsets) {
  if (offsets.empty()) return Status::ok();
  KZ_ASSIGN_OR_RETURN(Connection * conn, coordinator());
  OffsetCommitRequest request;
  request.group_id = options_.group_id;
  request.generation_id = joined_ ? generation_ : -1;
  request.member_id = joined_ ? member_id_ : "";
  for (const auto& [tp, offset] : offsets) {
    if (request.topics.empty() || request.topics.back().name != tp.topic) request.topics.push_back({tp.topic, {}});
    OffsetCommitRequest::OffsetCommitRequestTopic::OffsetCommitRequestPartition p;
    p.partition_index = tp.partition;
    p.committed_offset = offset;
    p.committed_metadata = "";
    request.topics.back().partitions.push_back(p);
  }
  Result<OffsetCommitResponse> response = conn->call(request);
  if (!response.is_ok()) {
    lose_coordinator();
    return response.status().with_context("OffsetCommit");
  }
  for (const auto& t : response->topics) {
    for (const auto& p : t.partitions) {
      if (p.error_code == errc::kNone) continue;
      if (coordinator_moved(p.error_code)) lose_coordinator();
      if (p.error_code == errc::kRebalanceInProgress || p.error_code == errc::kIllegalGeneration ||
          p.error_code == errc::kUnknownMemberId) {
        joined_ = false;
      }
      return Status(Code::kIoError, fmt::format("OffsetCommit {}-{}: {}", t.name, p.partition_index, error_name(p.error_code)));
    }
  }
  cluster_.env().log.debug("kafka.group", "committed {} offsets for group '{}'", offsets.size(), options_.group_id);
  return Status::ok();
}

Result<std::map<TopicPartition, int64_t>> GroupConsumer::committed(const std::vector<TopicPartition>& partitions) {
  Status last = Status::ok();
  for (int attempt = 0; attempt < 10; attempt++) {
    if (attempt > 0) cluster_.sleep_backoff();
    Result<Connection*> conn = coordinator();
    if (!conn.is_ok()) {
      last = conn.status();
      continue;
    }
    OffsetFetchRequest request;
    request.group_id = options_.group_id;
    request.topics.emplace();
    for (const TopicPartition& tp : partitions) {
      if (request.topics->empty() || request.topics->back().name != tp.topic) request.topics->push_back({tp.topic, {}});
      request.topics->back().partition_indexes.push_back(tp.partition);
    }
    Result<OffsetFetchResponse> response = (*conn)->call(request);
    if (!response.is_ok()) {
      lose_coordinator();
      last = response.status();
      continue;
    }
    if (response->error_code != errc::kNone) {
      if (coordinator_moved(response->error_code)) lose_coordinator();
      last = Status(Code::kBusy, fmt::format("OffsetFetch: {}", error_name(response->error_code)));
      continue;
    }
    std::map<TopicPartition, int64_t> out;
    bool retry = false;
    for (const auto& t : response->topics) {
      for (const auto& p : t.partitions) {
        if (p.error_code != errc::kNone) {
          if (coordinator_moved(p.error_code) || p.error_code == errc::kUnstableOffsetCommit) retry = true;
          if (coordinator_moved(p.error_code)) lose_coordinator();
          last = Status(Code::kBusy, fmt::format("OffsetFetch {}-{}: {}", t.name, p.partition_index, error_name(p.error_code)));
          if (!retry && p.error_code != errc::kUnknownTopicOrPartition) return last;
          continue;
        }
        out[{t.name, p.partition_index}] = p.committed_offset;
      }
    }
    if (!retry) return out;
  }
  return last;
}

Status GroupConsumer::close() {
  Status result = Status::ok();
  if (joined_ && options_.auto_commit) result = commit();
  if (options_.on_revoked && !consumer_.assignment().empty()) options_.on_revoked(consumer_.assignment());
  consumer_.assign({});
  if (!member_id_.empty()) {
    Result<Connection*> conn = coordinator();
    if (conn.is_ok()) {
      LeaveGroupRequest request;
      request.group_id = options_.group_id;
      request.member_id = member_id_;
      request.members.push_back({member_id_, std::nullopt});
      Result<LeaveGroupResponse> response = (*conn)->call(request);
      if (!response.is_ok()) {
        cluster_.env().log.warn("kafka.group", "LeaveGroup failed: {}", response.status().to_string());
      } else if (response->error_code != errc::kNone) {
        cluster_.env().log.info("kafka.group", "LeaveGroup: {}", error_name(response->error_code));
      } else {
        cluster_.env().log.info("kafka.group", "left group '{}' as {}", options_.group_id, member_id_);
      }
    }
  }
  joined_ = false;
  member_id_.clear();
  return result;
}

}  // namespace kz::kafka::client
