#include "core/kafka/client/assignors.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/kafka/protocol/wire.h"

namespace kz::kafka::client {

namespace {

Status read_string_array(Reader& r, std::vector<std::string>* out) {
  int32_t n = 0;
  KZ_RETURN_IF_ERROR(r.array_length(&n, false, false, 2));
  for (int32_t i = 0; i < n; i++) {
    std::string s;
    KZ_RETURN_IF_ERROR(r.string(&s, false));
    out->push_back(std::move(s));
  }
  return Status::ok();
}

}  // namespace

Bytes encode_subscription(const Subscription& subscription) {
  Writer w;
  w.int16(0);
  KZ_ASSERT(w.array_length(subscription.topics.size(), false).is_ok());
  for (const std::string& t : subscription.topics) KZ_ASSERT(w.string(t, false).is_ok());
  w.int32(-1);  // user_data: null
  return w.data();
}

Result<Subscription> decode_subscription(ByteSpan bytes) {
  Reader r(bytes);
  int16_t version = 0;
  KZ_RETURN_IF_ERROR(r.int16(&version));
  if (version < 0) return Status(Code::kCorruption, fmt::format("subscription: bad version {}", version));
  Subscription s;
  Status st = read_string_array(r, &s.topics);
  if (!st.is_ok()) return st.with_context("subscription topics");
  // user_data and (v1+) owned partitions follow; kz does not use them.
  return s;
}

Bytes encode_assignment(const Assignment& assignment) {
  Writer w;
  w.int16(0);
  KZ_ASSERT(w.array_length(assignment.size(), false).is_ok());
  for (const auto& [topic, partitions] : assignment) {
    KZ_ASSERT(w.string(topic, false).is_ok());
    KZ_ASSERT(w.array_length(partitions.size(), false).is_ok());
    for (int32_t p : partitions) w.int32(p);
  }
  w.int32(-1);  // user_data: null
  return w.data();
}

Result<Assignment> decode_assignment(ByteSpan bytes) {
  Assignment a;
  if (bytes.empty()) return a;  // a member with nothing assigned may get an empty byte string
  Reader r(bytes);
  int16_t version = 0;
  KZ_RETURN_IF_ERROR(r.int16(&version));
  if (version < 0) return Status(Code::kCorruption, fmt::format("assignment: bad version {}", version));
  int32_t topics = 0;
  KZ_RETURN_IF_ERROR(r.array_length(&topics, false, false, 6));
  for (int32_t i = 0; i < topics; i++) {
    std::string topic;
    KZ_RETURN_IF_ERROR(r.string(&topic, false));
    int32_t n = 0;
    KZ_RETURN_IF_ERROR(r.array_length(&n, false, false, 4));
    std::vector<int32_t>& parts = a[topic];
    for (int32_t j = 0; j < n; j++) {
      int32_t p = 0;
      KZ_RETURN_IF_ERROR(r.int32(&p));
      parts.push_back(p);
    }
  }
  return a;
}

GroupAssignment assign_range(std::span<const GroupMember> members, const std::map<std::string, int32_t>& partitions) {
  GroupAssignment out;
  std::map<std::string, std::vector<std::string>> consumers_of;  // topic -> sorted member ids
  for (const GroupMember& m : members) {
    out[m.member_id];
    for (const std::string& t : m.subscription.topics) consumers_of[t].push_back(m.member_id);
  }
  for (auto& [topic, consumers] : consumers_of) {
    auto it = partitions.find(topic);
    if (it == partitions.end()) continue;
    std::sort(consumers.begin(), consumers.end());
    consumers.erase(std::unique(consumers.begin(), consumers.end()), consumers.end());
    const int32_t n = it->second;
    const int32_t c = static_cast<int32_t>(consumers.size());
    const int32_t per = n / c;
    const int32_t extra = n % c;
    for (int32_t i = 0; i < c; i++) {
      const int32_t start = per * i + std::min(i, extra);
      const int32_t length = per + (i + 1 > extra ? 0 : 1);
      if (length == 0) continue;
      std::vector<int32_t>& mine = out[consumers[i]][topic];
      for (int32_t p = start; p < start + length; p++) mine.push_back(p);
    }
  }
  return out;
}

GroupAssignment assign_round_robin(std::span<const GroupMember> members,
                                   const std::map<std::string, int32_t>& partitions) {
  GroupAssignment out;
  std::vector<const GroupMember*> sorted;
  std::map<std::string, bool> subscribed;  // ordered: topics in name order
  for (const GroupMember& m : members) {
    out[m.member_id];
    sorted.push_back(&m);
    for (const std::string& t : m.subscription.topics) subscribed[t] = true;
  }
  if (sorted.empty()) return out;
  std::sort(sorted.begin(), sorted.end(),
            [](const GroupMember* a, const GroupMember* b) { return a->member_id < b->member_id; });
  size_t next = 0;
  for (const auto& [topic, unused] : subscribed) {
    auto it = partitions.find(topic);
    if (it == partitions.end()) continue;
    for (int32_t p = 0; p < it->second; p++) {
      // The next member in the circle that subscribes to this topic (one exists: someone does).
      for (size_t tries = 0; tries < sorted.size(); tries++) {
        const GroupMember* m = sorted[next % sorted.size()];
        next++;
        const auto& ts = m->subscription.topics;
        if (std::find(ts.begin(), ts.end(), topic) != ts.end()) {
          out[m->member_id][topic].push_back(p);
          break;
        }
      }
    }
  }
  return out;
}

Result<GroupAssignment> assign(std::string_view assignor, std::span<const GroupMember> members,
                               const std::map<std::string, int32_t>& partitions) {
  if (assignor == "range") return assign_range(members, partitions);
  if (assignor == "roundrobin") return assign_round_robin(members, partitions);
  return Status(Code::kInvalidArgument, fmt::format("unknown partition assignor '{}' (kz has range, roundrobin)", assignor));
}

}  // namespace kz::kafka::client
