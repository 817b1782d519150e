// kz's Kafka client end to end against a scripted broker on the simulated network: version
// negotiation (a broker that rejects ApiVersions v3, as librdkafka's mock does), producer retries
// with idempotence (the retried batch keeps its bytes and sequence), consumer fetch positions,
// the group protocol, and the admin calls the mock cluster cannot answer. The fake broker decodes
// every request with kz's codecs and answers what each test scripts.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "core/kafka/client/admin.h"
#include "core/kafka/client/group_consumer.h"
#include "core/kafka/client/producer.h"
#include "core/kafka/protocol/api_keys.h"
#include "core/kafka/records/batch_builder.h"
#include "sim/world.h"

namespace kz::kafka::client {
namespace {

constexpr uint16_t kPort = 9092;

// Answers requests with `handler` (nullopt: no answer, as for acks=0). ApiVersions and Metadata
// have defaults: kz's API table with ApiVersions and Metadata capped at v2 (the mock's caps), and
// one broker (node 1, "b1") leading every partition of `topics`.
struct FakeBroker {
  std::function<std::optional<Response>(const DecodedRequest&)> handler;
  std::map<std::string, int32_t> topics = {{"t", 2}};
  std::vector<DecodedRequest> seen;

  std::vector<DecodedRequest> of(int16_t api_key) const {
    std::vector<DecodedRequest> out;
    for (const auto& r : seen) {
      if (r.header.api_key == api_key) out.push_back(r);
    }
    return out;
  }

  std::optional<Response> answer(const DecodedRequest& r) {
    if (handler) {
      if (std::optional<Response> scripted = handler(r)) return scripted;
    }
    if (r.header.api_key == ApiVersionsRequest::kApiKey) {
      ApiVersionsResponse resp;
      for (const ApiInfo& api : all_apis()) {
        int16_t max = api.version_max;
        if (api.api_key == ApiVersionsRequest::kApiKey || api.api_key == MetadataRequest::kApiKey) max = 2;
        resp.api_keys.push_back({api.api_key, api.version_min, max});
      }
      return resp;
    }
    if (r.header.api_key == MetadataRequest::kApiKey) {
      const auto& req = std::get<MetadataRequest>(r.body);
      MetadataResponse resp;
      resp.brokers.push_back({1, "b1", kPort, std::nullopt});
      resp.controller_id = 1;
      std::vector<std::string> names;
      if (req.topics.has_value() && !req.topics->empty()) {
        for (const auto& t : *req.topics) names.push_back(t.name);
      } else {
        for (const auto& [name, n] : topics) names.push_back(name);
      }
      for (const std::string& name : names) {
        MetadataResponse::MetadataResponseTopic t;
        t.name = name;
        auto it = topics.find(name);
        if (it == topics.end()) {
          t.error_code = errc::kUnknownTopicOrPartition;
        } else {
          for (int32_t p = 0; p < it->second; p++) t.partitions.push_back({0, p, 1, -1, {1}, {1}, {}});
        }
        resp.topics.push_back(std::move(t));
      }
      return resp;
    }
    if (r.header.api_key == FindCoordinatorRequest::kApiKey) {
      FindCoordinatorResponse resp;
      resp.node_id = 1;
      resp.host = "b1";
      resp.port = kPort;
      return resp;
    }
    ADD_FAILURE() << "unscripted request, api key " << r.header.api_key;
    return std::nullopt;
  }

  void serve_connection(std::unique_ptr<io::Stream> s) {
    for (;;) {
      std::array<uint8_t, 4> size{};
      if (!s->read_exact(size).is_ok()) return;
      Bytes payload((size_t{size[0]} << 24) | (size_t{size[1]} << 16) | (size_t{size[2]} << 8) | size[3]);
      if (!s->read_exact(payload).is_ok()) return;
      Result<DecodedRequest> r = decode_request(payload);
      ASSERT_TRUE(r.is_ok()) << r.status().to_string();
      seen.push_back(*r);
      const RequestHeader& h = r->header;
      if (h.api_key == ApiVersionsRequest::kApiKey && h.api_version > 2) {
        // What a broker that does not know the version answers (KIP-511): v0 layout, error 35.
        ApiVersionsResponse rejected;
        rejected.error_code = errc::kUnsupportedVersion;
        rejected.api_keys.push_back({ApiVersionsRequest::kApiKey, 0, 2});
        Result<Bytes> frame = encode_response_frame(h.correlation_id, 0, Response(rejected));
        ASSERT_TRUE(frame.is_ok());
        if (!s->write_all(*frame).is_ok()) return;
        continue;
      }
      std::optional<Response> resp = answer(*r);
      if (!resp.has_value()) continue;
      Result<Bytes> frame = encode_response_frame(h.correlation_id, h.api_version, *resp);
      ASSERT_TRUE(frame.is_ok()) << frame.status().to_string();
      if (!s->write_all(*frame).is_ok()) return;
    }
  }
};

class FakeBrokerTest : public ::testing::Test {
 protected:
  FakeBrokerTest() : world_(sim::WorldOptions{.seed = 7}) {}

  // Runs `body` on client node c1 against the fake broker on b1.
  void run(std::function<void(Cluster&)> body) {
    world_.add_node("b1").start([this](io::Env& env) {
      auto listener = env.net->listen(io::Address{"", kPort});
      ASSERT_TRUE(listener.is_ok());
      for (;;) {
        auto s = (*listener)->accept();
        if (!s.is_ok()) return;
        auto* stream = s->release();
        env.spawn("fake-conn", [this, stream] { broker.serve_connection(std::unique_ptr<io::Stream>(stream)); });
      }
    });
    bool done = false;
    world_.add_node("c1").start([&](io::Env& env) {
      ClusterOptions o;
      o.bootstrap = {io::Address{"b1", kPort}};
      o.retry_backoff_ns = ms_to_ns(10);
      Cluster cluster(env, o);
      body(cluster);
      done = true;
    });
    for (int i = 0; i < 600 && !done; i++) world_.run_for(ms_to_ns(100));
    ASSERT_TRUE(done) << "the test body did not finish";
  }

  FakeBroker broker;
  sim::World world_;
};

TEST_F(FakeBrokerTest, NegotiationFallsBackWhenApiVersionsV3IsRejected) {
  run([&](Cluster& cluster) {
    ASSERT_TRUE(cluster.refresh({"t"}).is_ok());
    Result<Connection*> c = cluster.any();
    ASSERT_TRUE(c.is_ok());
    EXPECT_EQ((*c)->api_versions_version(), 2);
    EXPECT_EQ(*(*c)->versions().pick(MetadataRequest::kApiKey), 2);
    EXPECT_EQ(*cluster.partition_count("t"), 2);
    EXPECT_FALSE(cluster.partition_count("nope").is_ok());
  });
  std::vector<DecodedRequest> av = broker.of(ApiVersionsRequest::kApiKey);
  ASSERT_GE(av.size(), 2u);
  EXPECT_EQ(av[0].header.api_version, 3);
  EXPECT_EQ(av[1].header.api_version, 2);
  std::vector<DecodedRequest> md = broker.of(MetadataRequest::kApiKey);
  ASSERT_FALSE(md.empty());
  EXPECT_EQ(md[0].header.api_version, 2);
}

TEST_F(FakeBrokerTest, IdempotentRetryResendsTheSameBatch) {
  int produce_calls = 0;
  broker.handler = [&](const DecodedRequest& r) -> std::optional<Response> {
    if (r.header.api_key == InitProducerIdRequest::kApiKey) {
      InitProducerIdResponse resp;
      resp.producer_id = 77;
      resp.producer_epoch = 3;
      return resp;
    }
    if (r.header.api_key != ProduceRequest::kApiKey) return std::nullopt;
    const auto& req = std::get<ProduceRequest>(r.body);
    produce_calls++;
    ProduceResponse resp;
    for (const auto& t : req.topics) {
      ProduceResponse::TopicProduceResponse tr;
      tr.name = t.name;
      for (const auto& p : t.partitions) {
        int16_t err = produce_calls == 1 ? errc::kNotLeaderOrFollower
                      : produce_calls == 4 ? errc::kDuplicateSequenceNumber
                                           : errc::kNone;
        tr.partitions.push_back({p.partition_index, err, produce_calls == 2 ? 100 : 103, -1, -1});
      }
      resp.responses.push_back(std::move(tr));
    }
    return resp;
  };
  std::vector<DeliveryReport> reports;
  run([&](Cluster& cluster) {
    ProducerOptions o;
    o.idempotent = true;
    o.acks = 1;  // idempotence forces acks=all
    o.retries = 3;
    o.on_delivery = [&](const DeliveryReport& r) { reports.push_back(r); };
    Producer p(cluster, o);
    for (int i = 0; i < 3; i++) {
      ProducerRecord rec{"t", 0, Bytes{'k'}, Bytes{static_cast<uint8_t>('a' + i)}, {}, 1000};
      ASSERT_TRUE(p.send(rec).is_ok());
    }
    p.flush();
    ASSERT_TRUE(p.send(ProducerRecord{"t", 0, std::nullopt, Bytes{'z'}, {}, 1000}).is_ok());
    p.flush();
    ASSERT_TRUE(p.send(ProducerRecord{"t", 0, std::nullopt, Bytes{'y'}, {}, 1000}).is_ok());
    p.flush();
    EXPECT_EQ(p.producer_id(), 77);
  });
  std::vector<DecodedRequest> produce = broker.of(ProduceRequest::kApiKey);
  ASSERT_EQ(produce.size(), 4u);
  const auto& first = std::get<ProduceRequest>(produce[0].body);
  const auto& retry = std::get<ProduceRequest>(produce[1].body);
  EXPECT_EQ(first.acks, -1);
  EXPECT_EQ(first.topics[0].partitions[0].records, retry.topics[0].partitions[0].records);
  Result<BatchView> b0 = BatchView::parse(*first.topics[0].partitions[0].records);
  ASSERT_TRUE(b0.is_ok());
  EXPECT_EQ(b0->producer_id(), 77);
  EXPECT_EQ(b0->producer_epoch(), 3);
  EXPECT_EQ(b0->base_sequence(), 0);
  EXPECT_EQ(b0->record_count(), 3);
  Result<BatchView> b2 = BatchView::parse(*std::get<ProduceRequest>(produce[2].body).topics[0].partitions[0].records);
  ASSERT_TRUE(b2.is_ok());
  EXPECT_EQ(b2->base_sequence(), 3);
  Result<BatchView> b3 = BatchView::parse(*std::get<ProduceRequest>(produce[3].body).topics[0].partitions[0].records);
  ASSERT_TRUE(b3.is_ok());
  EXPECT_EQ(b3->base_sequence(), 4);
  ASSERT_EQ(reports.size(), 5u);
  for (const auto& r : reports) EXPECT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(reports[0].offset, 100);
  EXPECT_EQ(reports[2].offset, 102);
  EXPECT_EQ(reports[3].offset, 103);
  EXPECT_EQ(reports[4].offset, -1);  // DUPLICATE_SEQUENCE_NUMBER: delivered before, offset unknown
}

TEST_F(FakeBrokerTest, FetchSkipsRecordsBeforeThePositionAndResetsOutOfRange) {
  int fetches = 0;
  broker.handler = [&](const DecodedRequest& r) -> std::optional<Response> {
    if (r.header.api_key == ListOffsetsRequest::kApiKey) {
      const auto& req = std::get<ListOffsetsRequest>(r.body);
      ListOffsetsResponse resp;
      for (const auto& t : req.topics) {
        ListOffsetsResponse::ListOffsetsTopicResponse tr;
        tr.name = t.name;
        for (const auto& p : t.partitions) {
          ListOffsetsResponse::ListOffsetsTopicResponse::ListOffsetsPartitionResponse pr;
          pr.partition_index = p.partition_index;
          pr.offset = p.timestamp == kEarliestTimestamp ? 5 : 8;
          pr.old_style_offsets = {pr.offset};
          tr.partitions.push_back(pr);
        }
        resp.topics.push_back(std::move(tr));
      }
      return resp;
    }
    if (r.header.api_key != FetchRequest::kApiKey) return std::nullopt;
    const auto& req = std::get<FetchRequest>(r.body);
    fetches++;
    FetchResponse resp;
    FetchResponse::FetchableTopicResponse tr;
    tr.topic = "t";
    FetchResponse::FetchableTopicResponse::PartitionData pd;
    pd.partition_index = 0;
    int64_t offset = req.topics[0].partitions[0].fetch_offset;
    if (offset > 8) {
      pd.error_code = errc::kOffsetOutOfRange;
    } else if (offset < 8) {
      std::vector<Record> recs;
      for (int i = 0; i < 3; i++) recs.push_back(Record{5 + i, 1000, std::nullopt, Bytes{static_cast<uint8_t>('0' + i)}, {}});
      BatchOptions bo;
      bo.base_offset = 5;
      bo.compression = Compression::kGzip;
      pd.records = *build_batch(bo, recs);
    }
    tr.partitions.push_back(std::move(pd));
    resp.responses.push_back(std::move(tr));
    return resp;
  };
  run([&](Cluster& cluster) {
    Consumer c(cluster, ConsumerOptions{.auto_offset_reset = OffsetReset::kEarliest, .fetch_max_wait_ms = 10});
    TopicPartition tp{"t", 0};
    c.assign({tp});
    c.seek(tp, 6);
    Result<std::vector<ConsumerRecord>> got = c.poll();
    ASSERT_TRUE(got.is_ok()) << got.status().to_string();
    ASSERT_EQ(got->size(), 2u);
    EXPECT_EQ((*got)[0].record.offset, 6);
    EXPECT_EQ((*got)[1].record.value, Bytes{'2'});
    EXPECT_EQ(c.position(tp), 8);
    c.seek(tp, 50);
    ASSERT_TRUE(c.poll().is_ok());
    EXPECT_FALSE(c.position(tp).has_value());  // out of range: reset on the next poll
    ASSERT_TRUE(c.poll().is_ok());
    EXPECT_GE(*c.position(tp), 5);
    ASSERT_TRUE(c.seek_to_end({tp}).is_ok());
    EXPECT_EQ(c.position(tp), 8);
  });
  EXPECT_GE(fetches, 3);
}

TEST_F(FakeBrokerTest, GroupJoinSyncCommitAndLeave) {
  std::vector<SyncGroupRequest> syncs;
  broker.handler = [&](const DecodedRequest& r) -> std::optional<Response> {
    switch (r.header.api_key) {
      case JoinGroupRequest::kApiKey: {
        const auto& req = std::get<JoinGroupRequest>(r.body);
        JoinGroupResponse resp;
        if (req.member_id.empty()) {
          resp.error_code = errc::kMemberIdRequired;
          resp.member_id = "m-1";
          return resp;
        }
        EXPECT_EQ(req.member_id, "m-1");
        EXPECT_EQ(req.protocol_type, "consumer");
        resp.generation_id = 4;
        resp.protocol_name = "roundrobin";
        resp.leader = "m-1";
        resp.member_id = "m-1";
        resp.members.push_back({"m-1", std::nullopt, req.protocols[0].metadata});
        resp.members.push_back({"m-2", std::nullopt, encode_subscription(Subscription{{"t"}})});
        return resp;
      }
      case SyncGroupRequest::kApiKey: {
        const auto& req = std::get<SyncGroupRequest>(r.body);
        syncs.push_back(req);
        SyncGroupResponse resp;
        for (const auto& a : req.assignments) {
          if (a.member_id == "m-1") resp.assignment = a.assignment;
        }
        return resp;
      }
      case OffsetFetchRequest::kApiKey: {
        OffsetFetchResponse resp;
        resp.topics.push_back({"t", {{0, 42, -1, "", 0}}});
        return resp;
      }
      case OffsetCommitRequest::kApiKey: {
        const auto& req = std::get<OffsetCommitRequest>(r.body);
        OffsetCommitResponse resp;
        for (const auto& t : req.topics) {
          OffsetCommitResponse::OffsetCommitResponseTopic tr{t.name, {}};
          for (const auto& p : t.partitions) tr.partitions.push_back({p.partition_index, 0});
          resp.topics.push_back(std::move(tr));
        }
        return resp;
      }
      case LeaveGroupRequest::kApiKey:
        return LeaveGroupResponse{};
      case FetchRequest::kApiKey: {
        FetchResponse resp;  // no new records
        resp.responses.push_back({"t", {{}}});
        return resp;
      }
      default:
        return std::nullopt;
    }
  };
  std::vector<TopicPartition> assigned;
  std::vector<TopicPartition> revoked;
  run([&](Cluster& cluster) {
    GroupOptions g;
    g.group_id = "g";
    g.auto_commit = false;
    g.on_assigned = [&](const std::vector<TopicPartition>& tps) { assigned = tps; };
    g.on_revoked = [&](const std::vector<TopicPartition>& tps) { revoked = tps; };
    GroupConsumer gc(cluster, ConsumerOptions{}, g);
    gc.subscribe({"t"});
    // The first poll joins, then fetches (nothing there).
    Result<std::vector<ConsumerRecord>> first = gc.poll();
    ASSERT_TRUE(first.is_ok()) << first.status().to_string();
    EXPECT_TRUE(first->empty());
    EXPECT_TRUE(gc.joined());
    EXPECT_EQ(gc.generation(), 4);
    EXPECT_EQ(gc.consumer().position({"t", 0}), 42);
    ASSERT_TRUE(gc.commit({{TopicPartition{"t", 0}, 43}}).is_ok());
    EXPECT_TRUE(revoked.empty());
    ASSERT_TRUE(gc.close().is_ok());
    EXPECT_TRUE(gc.assignment().empty());
  });
  EXPECT_EQ(revoked, (std::vector<TopicPartition>{{"t", 0}}));
  ASSERT_EQ(syncs.size(), 1u);
  // Round robin over two members and two partitions: one each, m-1 first.
  ASSERT_EQ(syncs[0].assignments.size(), 2u);
  EXPECT_EQ(*decode_assignment(syncs[0].assignments[0].assignment), (Assignment{{"t", {0}}}));
  EXPECT_EQ(*decode_assignment(syncs[0].assignments[1].assignment), (Assignment{{"t", {1}}}));
  EXPECT_EQ(assigned, (std::vector<TopicPartition>{{"t", 0}}));
  std::vector<DecodedRequest> commits = broker.of(OffsetCommitRequest::kApiKey);
  ASSERT_EQ(commits.size(), 1u);
  const auto& commit = std::get<OffsetCommitRequest>(commits[0].body);
  EXPECT_EQ(commit.generation_id, 4);
  EXPECT_EQ(commit.member_id, "m-1");
  EXPECT_EQ(commit.topics[0].partitions[0].committed_offset, 43);
  EXPECT_EQ(broker.of(LeaveGroupRequest::kApiKey).size(), 1u);
}

TEST_F(FakeBrokerTest, AdminCallsAndPerItemErrors) {
  broker.handler = [&](const DecodedRequest& r) -> std::optional<Response> {
    switch (r.header.api_key) {
      case CreateTopicsRequest::kApiKey: {
        CreateTopicsResponse resp;
        for (const auto& t : std::get<CreateTopicsRequest>(r.body).topics) {
          CreateTopicsResponse::CreatableTopicResult tr;
          tr.name = t.name;
          tr.error_code = t.name == "exists" ? errc::kTopicAlreadyExists : errc::kNone;
          resp.topics.push_back(std::move(tr));
        }
        return resp;
      }
      case DeleteTopicsRequest::kApiKey: {
        DeleteTopicsResponse resp;
        for (const auto& n : std::get<DeleteTopicsRequest>(r.body).topic_names) resp.responses.push_back({n, 0});
        return resp;
      }
      case CreatePartitionsRequest::kApiKey: {
        CreatePartitionsResponse resp;
        resp.results.push_back({"t", errc::kInvalidPartitions, std::string("fewer than now")});
        return resp;
      }
      case DescribeConfigsRequest::kApiKey: {
        DescribeConfigsResponse resp;
        DescribeConfigsResponse::DescribeConfigsResult res;
        res.resource_type = 2;
        res.resource_name = "t";
        DescribeConfigsResponse::DescribeConfigsResult::DescribeConfigsResourceResult c1;
        c1.name = "retention.ms";
        c1.value = "1000";
        DescribeConfigsResponse::DescribeConfigsResult::DescribeConfigsResourceResult c2;
        c2.name = "cleanup.policy";
        c2.value = "delete";
        res.configs = {c1, c2};
        resp.results.push_back(std::move(res));
        return resp;
      }
      case ListGroupsRequest::kApiKey: {
        ListGroupsResponse resp;
        resp.groups.push_back({"g2", "consumer", ""});
        resp.groups.push_back({"g1", "consumer", ""});
        return resp;
      }
      case DescribeGroupsRequest::kApiKey: {
        DescribeGroupsResponse resp;
        DescribeGroupsResponse::DescribedGroup g;
        g.group_id = "g1";
        g.group_state = "Stable";
        g.protocol_type = "consumer";
        g.protocol_data = "range";
        g.members.push_back({"m", std::nullopt, "cid", "/1.2.3.4", {}, encode_assignment({{"t", {1}}}), });
        resp.groups.push_back(std::move(g));
        return resp;
      }
      case DeleteGroupsRequest::kApiKey: {
        DeleteGroupsResponse resp;
        resp.results.push_back({"g1", errc::kNonEmptyGroup});
        return resp;
      }
      case DeleteRecordsRequest::kApiKey: {
        DeleteRecordsResponse resp;
        for (const auto& t : std::get<DeleteRecordsRequest>(r.body).topics) {
          DeleteRecordsResponse::DeleteRecordsTopicResult tr;
          tr.name = t.name;
          for (const auto& p : t.partitions) tr.partitions.push_back({p.partition_index, p.offset, 0});
          resp.topics.push_back(std::move(tr));
        }
        return resp;
      }
      default:
        return std::nullopt;
    }
  };
  run([&](Cluster& cluster) {
    Admin admin(cluster);
    EXPECT_TRUE(admin.create_topics({NewTopic{"new", 3, 1, {{"retention.ms", "5"}}}}).is_ok());
    Status exists = admin.create_topics({NewTopic{"exists", 1, 1, {}}});
    EXPECT_EQ(exists.code(), Code::kAlreadyExists);
    EXPECT_NE(exists.message().find("TOPIC_ALREADY_EXISTS"), std::string::npos);
    EXPECT_TRUE(admin.delete_topics({"new"}).is_ok());
    Status grow = admin.create_partitions("t", 1);
    EXPECT_NE(grow.message().find("INVALID_PARTITIONS"), std::string::npos);
    EXPECT_NE(grow.message().find("fewer than now"), std::string::npos);
    Result<std::vector<ConfigEntry>> configs = admin.describe_configs(2, "t");
    ASSERT_TRUE(configs.is_ok());
    ASSERT_EQ(configs->size(), 2u);
    EXPECT_EQ((*configs)[0].name, "cleanup.policy");
    EXPECT_EQ((*configs)[1].value, "1000");
    Result<std::vector<GroupListing>> groups = admin.list_groups();
    ASSERT_TRUE(groups.is_ok());
    ASSERT_EQ(groups->size(), 2u);
    EXPECT_EQ((*groups)[0].group_id, "g1");
    Result<GroupDescription> d = admin.describe_group("g1");
    ASSERT_TRUE(d.is_ok()) << d.status().to_string();
    EXPECT_EQ(d->state, "Stable");
    ASSERT_EQ(d->members.size(), 1u);
    EXPECT_EQ(d->members[0].assignment, (std::vector<TopicPartition>{{"t", 1}}));
    Status del = admin.delete_groups({"g1"});
    EXPECT_NE(del.message().find("NON_EMPTY_GROUP"), std::string::npos);
    Result<std::map<TopicPartition, int64_t>> low = admin.delete_records({{{"t", 1}, 17}});
    ASSERT_TRUE(low.is_ok());
    EXPECT_EQ(low->at({"t", 1}), 17);
  });
  std::vector<DecodedRequest> creates = broker.of(CreateTopicsRequest::kApiKey);
  ASSERT_EQ(creates.size(), 2u);
  const auto& ct = std::get<CreateTopicsRequest>(creates[0].body).topics[0];
  EXPECT_EQ(ct.num_partitions, 3);
  ASSERT_EQ(ct.configs.size(), 1u);
  EXPECT_EQ(ct.configs[0].value, "5");
}

}  // namespace
}  // namespace kz::kafka::client
