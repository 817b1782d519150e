#include "core/kafka/client/admin.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace kz::kafka::client {

namespace {

Status item_error(std::string_view what, std::string_view name, int16_t code, const std::optional<std::string>& message) {
  if (code == errc::kNone) return Status::ok();
  std::string text = fmt::format("{} '{}': {}", what, name, error_name(code));
  if (message.has_value() && !message->empty()) text += fmt::format(" ({})", *message);
  Code c = code == errc::kTopicAlreadyExists ? Code::kAlreadyExists
           : code == errc::kUnknownTopicOrPartition || code == errc::kGroupIdNotFound ? Code::kNotFound
           : code == errc::kUnsupportedVersion ? Code::kUnsupported
                                               : Code::kIoError;
  return Status(c, text);
}

}  // namespace

Result<Connection*> Admin::controller() {
  KZ_RETURN_IF_ERROR(cluster_.refresh({}));
  if (cluster_.controller_id() >= 0) return cluster_.broker(cluster_.controller_id());
  return cluster_.any();
}

Result<Connection*> Admin::group_coordinator(const std::string& group_id) {
  KZ_ASSIGN_OR_RETURN(Connection * any, cluster_.any());
  FindCoordinatorRequest request;
  request.key = group_id;
  KZ_ASSIGN_OR_RETURN(FindCoordinatorResponse response, any->call(request));
  KZ_RETURN_IF_ERROR(item_error("FindCoordinator for group", group_id, response.error_code, response.error_message));
  return cluster_.at(response.node_id, io::Address{response.host, static_cast<uint16_t>(response.port)});
}

Status Admin::create_topics(const std::vector<NewTopic>& topics, int32_t timeout_ms) {
  KZ_ASSIGN_OR_RETURN(Connection * conn, controller());
  CreateTopicsRequest request;
  request.timeout_ms = timeout_ms;
  for (const NewTopic& t : topics) {
    CreateTopicsRequest::CreatableTopic ct;
    ct.name = t.name;
    ct.num_partitions = t.partitions;
    ct.replication_factor = t.replication_factor;
    for (const auto& [k, v] : t.configs) ct.configs.push_back({k, v});
    request.topics.push_back(std::move(ct));
  }
  KZ_ASSIGN_OR_RETURN(CreateTopicsResponse response, conn->call(request));
  for (const auto& r : response.topics) KZ_RETURN_IF_ERROR(item_error("create topic", r.name, r.error_code, r.error_message));
  cluster_.invalidate();
  return Status::ok();
}

Status Admin::delete_topics(const std::vector<std::string>& topics, int32_t timeout_ms) {
  KZ_ASSIGN_OR_RETURN(Connection * conn, controller());
  DeleteTopicsRequest request;
  request.topic_names = topics;
  request.timeout_ms = timeout_ms;
  KZ_ASSIGN_OR_RETURN(DeleteTopicsResponse response, conn->call(request));
  for (const auto& r : response.responses) KZ_RETURN_IF_ERROR(item_error("delete topic", r.name, r.error_code, std::nullopt));
  cluster_.invalidate();
  return Status::ok();
}

Status Admin::create_partitions(const std::string& topic, int32_t total_partitions, int32_t timeout_ms) {
  KZ_ASSIGN_OR_RETURN(Connection * conn, controller());
  CreatePartitionsRequest request;
  request.timeout_ms = timeout_ms;
  request.validate_only = false;
  CreatePartitionsRequest::CreatePartitionsTopic t;
  t.name = topic;
  t.count = total_partitions;
  t.assignments = std::nullopt;
  request.topics.push_back(std::move(t));
  KZ_ASSIGN_OR_RETURN(CreatePartitionsResponse response, conn->call(request));
  for (const auto& r : response.results) KZ_RETURN_IF_ERROR(item_error("create partitions of", r.name, r.error_code, r.error_message));
  cluster_.invalidate();
  return Status::ok();
}

Result<std::vector<ConfigEntry>> Admin::describe_configs(int8_t resource_type, const std::string& name) {
  Result<Connection*> conn_or = Status(Code::kNotFound, "");
  if (resource_type == 4) {  // a broker's configs are answered by that broker
    KZ_RETURN_IF_ERROR(cluster_.refresh({}));
    int32_t id = 0;
    auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
    if (ec != std::errc() || ptr != name.data() + name.size()) {
      return Status(Code::kInvalidArgument, fmt::format("broker resource name must be a broker id, got '{}'", name));
    }
    conn_or = cluster_.broker(id);
  } else {
    conn_or = cluster_.any();
  }
  KZ_ASSIGN_OR_RETURN(Connection * conn, conn_or);
  DescribeConfigsRequest request;
  DescribeConfigsRequest::DescribeConfigsResource r;
  r.resource_type = resource_type;
  r.resource_name = name;
  r.configuration_keys = std::nullopt;
  request.resources.push_back(std::move(r));
  KZ_ASSIGN_OR_RETURN(DescribeConfigsResponse response, conn->call(request));
  std::vector<ConfigEntry> out;
  for (const auto& result : response.results) {
    KZ_RETURN_IF_ERROR(item_error("describe configs of", result.resource_name, result.error_code, result.error_message));
    for (const auto& c : result.configs) out.push_back({c.name, c.value, c.read_only, c.is_sensitive});
  }
  std::sort(out.begin(), out.end(), [](const ConfigEntry& a, const ConfigEntry& b) { return a.name < b.name; });
  return out;
}

Result<std::vector<GroupListing>> Admin::list_groups() {
  KZ_RETURN_IF_ERROR(cluster_.refresh({}));
  std::map<std::string, GroupListing> groups;
  std::vector<int32_t> ids;
  for (const auto& [id, address] : cluster_.brokers()) ids.push_back(id);
  for (int32_t id : ids) {
    KZ_ASSIGN_OR_RETURN(Connection * conn, cluster_.broker(id));
    KZ_ASSIGN_OR_RETURN(ListGroupsResponse response, conn->call(ListGroupsRequest{}));
    KZ_RETURN_IF_ERROR(item_error("list groups on broker", std::to_string(id), response.error_code, std::nullopt));
    for (const auto& g : response.groups) groups[g.group_id] = GroupListing{g.group_id, g.protocol_type};
  }
  std::vector<GroupListing> out;
  for (auto& [id, g] : groups) out.push_back(std::move(g));
  return out;
}

Result<GroupDescription> Admin::describe_group(const std::string& group_id) {
  KZ_ASSIGN_OR_RETURN(Connection * conn, group_coordinator(group_id));
  DescribeGroupsRequest request;
  request.groups = {group_id};
  KZ_ASSIGN_OR_RETURN(DescribeGroupsResponse response, conn->call(request));
  for (const auto& g : response.groups) {
    if (g.group_id != group_id) continue;
    KZ_RETURN_IF_ERROR(item_error("describe group", g.group_id, g.error_code, std::nullopt));
    GroupDescription d{g.group_id, g.group_state, g.protocol_type, g.protocol_data, {}};
    for (const auto& m : g.members) {
      GroupMemberDescription md{m.member_id, m.client_id, m.client_host, {}};
      if (g.protocol_type == "consumer") {
        Result<Assignment> a = decode_assignment(m.member_assignment);
        if (a.is_ok()) {
          for (const auto& [topic, parts] : *a) {
            for (int32_t p : parts) md.assignment.push_back({topic, p});
          }
        }
      }
      d.members.push_back(std::move(md));
    }
    return d;
  }
  return Status(Code::kCorruption, fmt::format("DescribeGroups answer lacks group '{}'", group_id));
}

Status Admin::delete_groups(const std::vector<std::string>& group_ids) {
  for (const std::string& id : group_ids) {
    KZ_ASSIGN_OR_RETURN(Connection * conn, group_coordinator(id));
    DeleteGroupsRequest request;
    request.groups_names = {id};
    KZ_ASSIGN_OR_RETURN(DeleteGroupsResponse response, conn->call(request));
    for (const auto& r : response.results) KZ_RETURN_IF_ERROR(item_error("delete group", r.group_id, r.error_code, std::nullopt));
  }
  return Status::ok();
}

Result<std::map<TopicPartition, int64_t>> Admin::delete_records(const std::map<TopicPartition, int64_t>& before) {
  std::map<int32_t, std::vector<TopicPartition>> by_leader;
  for (const auto& [tp, offset] : before) {
    KZ_ASSIGN_OR_RETURN(int32_t leader, cluster_.leader(tp));
    by_leader[leader].push_back(tp);
  }
  std::map<TopicPartition, int64_t> out;
  for (const auto& [leader, tps] : by_leader) {
    KZ_ASSIGN_OR_RETURN(Connection * conn, cluster_.broker(leader));
    DeleteRecordsRequest request;
    request.timeout_ms = 30'000;
    for (const TopicPartition& tp : tps) {
      if (request.topics.empty() || request.topics.back().name != tp.topic) request.topics.push_back({tp.topic, {}});
      request.topics.back().partitions.push_back({tp.partition, before.at(tp)});
    }
    KZ_ASSIGN_OR_RETURN(DeleteRecordsResponse response, conn->call(request));
    for (const auto& t : response.topics) {
      for (const auto& p : t.partitions) {
        KZ_RETURN_IF_ERROR(item_error("delete records of", fmt::format("{}-{}", t.name, p.partition_index), p.error_code,
                                      std::nullopt));
        out[{t.name, p.partition_index}] = p.low_watermark;
      }
    }
  }
  return out;
}

}  // namespace kz::kafka::client
