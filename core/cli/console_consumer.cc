// `kz console-consumer`: kafka-console-consumer.sh on kz's client library. Prints each record's
// value on its own line, prefixed (in Kafka's DefaultMessageFormatter order) by
// CreateTime:<ms>, Partition:<p>, Offset:<o>, headers (k:v,k2:v2 or NO_HEADERS) and the key when
// the matching print.* property is true, separated by key.separator (default a tab). A null key
// or value prints as "null". Without --group it reads every partition of the topic (from the
// latest offset, or the earliest with --from-beginning); with --group it joins the group and
// commits the offset after each printed record before it exits, so the next run resumes there.
// Exit code 0, 1 on a client error, 2 for bad arguments.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/cli/commands.h"
#include "core/kafka/client/group_consumer.h"
#include "core/real/real_runtime.h"

namespace kz::cli {

namespace {

struct ConsoleConsumerArgs {
  std::string bootstrap;
  std::string topic;
  std::string group;
  bool from_beginning = false;
  int64_t max_messages = -1;
  int64_t timeout_ms = -1;
  int32_t partition = -1;
  std::string offset;
  std::vector<std::string> properties;
  std::vector<std::string> consumer_properties;
  std::string log_level = "warn";
};

struct PrintFormat {
  bool print_key = false;
  bool print_value = true;
  bool print_headers = false;
  bool print_timestamp = false;
  bool print_partition = false;
  bool print_offset = false;
  std::string key_separator = "\t";
  std::string line_separator = "\n";
  std::string headers_separator = ",";
  std::string headers_key_separator = ":";
  std::string null_literal = "null";
};

Status set_print_property(PrintFormat* f, const std::string& text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status(Code::kInvalidArgument, fmt::format("expected key=value, got '{}'", text));
  }
  std::string key = text.substr(0, eq);
  std::string value = text.substr(eq + 1);
  bool* flag = key == "print.key"         ? &f->print_key
               : key == "print.value"     ? &f->print_value
               : key == "print.headers"   ? &f->print_headers
               : key == "print.timestamp" ? &f->print_timestamp
               : key == "print.partition" ? &f->print_partition
               : key == "print.offset"    ? &f->print_offset
                                          : nullptr;
  if (flag != nullptr) {
    if (value != "true" && value != "false") {
      return Status(Code::kInvalidArgument, fmt::format("{}: expected true or false, got '{}'", key, value));
    }
    *flag = value == "true";
  } else if (key == "key.separator") {
    f->key_separator = value;
  } else if (key == "line.separator") {
    f->line_separator = value;
  } else if (key == "headers.separator") {
    f->headers_separator = value;
  } else if (key == "headers.key.separator") {
    f->headers_key_separator = value;
  } else if (key == "null.literal") {
    f->null_literal = value;
  } else {
    return Status(Code::kInvalidArgument, fmt::format("unknown --property '{}'", key));
  }
  return Status::ok();
}

void put(std::string* out, const std::optional<kafka::Bytes>& bytes, const std::string& null_literal) {
  if (!bytes.has_value()) {
    *out += null_literal;
    return;
  }
  out->append(reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

std::string format_record(const PrintFormat& f, const kafka::client::ConsumerRecord& r) {
  std::string out;
  if (f.print_timestamp) out += fmt::format("CreateTime:{}{}", r.record.timestamp_ms, f.key_separator);
  if (f.print_partition) out += fmt::format("Partition:{}{}", r.tp.partition, f.key_separator);
  if (f.print_offset) out += fmt::format("Offset:{}{}", r.record.offset, f.key_separator);
  if (f.print_headers) {
    if (r.record.headers.empty()) out += "NO_HEADERS";
    for (size_t i = 0; i < r.record.headers.size(); i++) {
      if (i > 0) out += f.headers_separator;
      out += r.record.headers[i].key;
      out += f.headers_key_separator;
      put(&out, r.record.headers[i].value, f.null_literal);
    }
    out += f.key_separator;
  }
  if (f.print_key) {
    put(&out, r.record.key, f.null_literal);
    out += f.key_separator;
  }
  if (f.print_value) put(&out, r.record.value, f.null_literal);
  out += f.line_separator;
  return out;
}

int run_console_consumer(io::Env& env, const ConsoleConsumerArgs& args, const PrintFormat& format,
                         kafka::client::ClusterOptions cluster_options, kafka::client::ConsumerOptions consumer_options) {
  using kafka::client::ConsumerRecord;
  using kafka::client::TopicPartition;
  kafka::client::Cluster cluster(env, std::move(cluster_options));
  Result<const kafka::client::TopicInfo*> topic = cluster.topic(args.topic);
  if (!topic.is_ok()) {
    std::fprintf(stderr, "kz console-consumer: %s\n", topic.status().message().c_str());
    return 1;
  }
  std::unique_ptr<kafka::client::GroupConsumer> group;
  std::unique_ptr<kafka::client::Consumer> plain;
  if (!args.group.empty()) {
    kafka::client::GroupOptions g;
    g.group_id = args.group;
    g.auto_commit = false;  // the tool commits exactly what it printed
    group = std::make_unique<kafka::client::GroupConsumer>(cluster, consumer_options, g);
    group->subscribe({args.topic});
  } else {
    plain = std::make_unique<kafka::client::Consumer>(cluster, consumer_options);
    std::vector<TopicPartition> tps;
    for (const auto& p : (*topic)->partitions) {
      if (args.partition < 0 || p.partition == args.partition) tps.push_back({args.topic, p.partition});
    }
    if (tps.empty()) {
      std::fprintf(stderr, "kz console-consumer: topic '%s' has no partition %d\n", args.topic.c_str(), args.partition);
      return 2;
    }
    plain->assign(tps);
    if (!args.offset.empty() && args.offset != "earliest" && args.offset != "latest") {
      for (const TopicPartition& tp : tps) plain->seek(tp, std::stoll(args.offset));
    }
  }
  int64_t printed = 0;
  int64_t last_record_ns = env.clock->now_ns();
  std::map<TopicPartition, int64_t> to_commit;
  int exit_code = 0;
  while (args.max_messages < 0 || printed < args.max_messages) {
    Result<std::vector<ConsumerRecord>> records = group ? group->poll() : plain->poll();
    if (!records.is_ok()) {
      std::fprintf(stderr, "kz console-consumer: %s\n", records.status().message().c_str());
      exit_code = 1;
      break;
    }
    for (const ConsumerRecord& r : *records) {
      if (args.max_messages >= 0 && printed >= args.max_messages) break;
      std::string line = format_record(format, r);
      std::fwrite(line.data(), 1, line.size(), stdout);
      printed++;
      to_commit[r.tp] = r.record.offset + 1;
    }
    std::fflush(stdout);
    if (!records->empty()) last_record_ns = env.clock->now_ns();
    if (group && !to_commit.empty()) {
      if (Status st = group->commit(to_commit); !st.is_ok()) {
        env.log.warn("console-consumer", "commit failed: {}", st.to_string());
      } else {
        to_commit.clear();
      }
    }
    if (args.timeout_ms >= 0 && env.clock->now_ns() - last_record_ns >= ms_to_ns(args.timeout_ms)) {
      std::fprintf(stderr, "kz console-consumer: no record for %lld ms; exiting\n",
                   static_cast<long long>(args.timeout_ms));
      break;
    }
  }
  if (group) {
    if (!to_commit.empty()) {
      if (Status st = group->commit(to_commit); !st.is_ok()) {
        std::fprintf(stderr, "kz console-consumer: final commit failed: %s\n", st.message().c_str());
        exit_code = 1;
      }
    }
    (void)group->close();
  }
  std::fprintf(stderr, "Processed a total of %lld messages\n", static_cast<long long>(printed));
  return exit_code;
}

int cmd_console_consumer(const ConsoleConsumerArgs& args) {
  PrintFormat format;
  for (const std::string& p : args.properties) {
    if (Status st = set_print_property(&format, p); !st.is_ok()) {
      std::fprintf(stderr, "kz console-consumer: --property: %s\n", st.message().c_str());
      return 2;
    }
  }
  kafka::client::ConsumerOptions consumer_options;
  consumer_options.auto_offset_reset =
      args.from_beginning || args.offset == "earliest" ? kafka::client::OffsetReset::kEarliest
                                                       : kafka::client::OffsetReset::kLatest;
  for (const std::string& p : args.consumer_properties) {
    if (p == "auto.offset.reset=earliest") {
      consumer_options.auto_offset_reset = kafka::client::OffsetReset::kEarliest;
    } else if (p == "auto.offset.reset=latest") {
      consumer_options.auto_offset_reset = kafka::client::OffsetReset::kLatest;
    } else {
      std::fprintf(stderr, "kz console-consumer: --consumer-property: unsupported '%s' (kz knows auto.offset.reset)\n",
                   p.c_str());
      return 2;
    }
  }
  if (!args.offset.empty() && args.offset != "earliest" && args.offset != "latest") {
    bool digits = std::all_of(args.offset.begin(), args.offset.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || args.offset.size() > 18) {
      std::fprintf(stderr, "kz console-consumer: --offset: expected earliest, latest or an offset, got '%s'\n",
                   args.offset.c_str());
      return 2;
    }
    if (args.partition < 0) {
      std::fprintf(stderr, "kz console-consumer: --offset needs --partition\n");
      return 2;
    }
  }
  if (!args.group.empty() && args.partition >= 0) {
    std::fprintf(stderr, "kz console-consumer: --partition and --group exclude each other\n");
    return 2;
  }
  kafka::client::ClusterOptions cluster_options;
  Result<std::vector<io::Address>> bootstrap = kafka::client::parse_bootstrap(args.bootstrap);
  if (!bootstrap.is_ok()) {
    std::fprintf(stderr, "kz console-consumer: --bootstrap-server: %s\n", bootstrap.status().message().c_str());
    return 2;
  }
  cluster_options.bootstrap = *bootstrap;
  cluster_options.connection.client_id = "kz-console-consumer";
  cluster_options.allow_auto_topic_creation = false;
  real::RealRuntimeOptions rt_options;
  rt_options.node = "console-consumer";
  if (!parse_level(args.log_level, &rt_options.log_level)) {
    std::fprintf(stderr, "kz console-consumer: --log-level: expected debug, info, warn or error\n");
    return 2;
  }
  Result<std::unique_ptr<real::RealRuntime>> rt = real::RealRuntime::create(rt_options);
  if (!rt.is_ok()) {
    std::fprintf(stderr, "kz console-consumer: %s\n", rt.status().message().c_str());
    return 2;
  }
  int exit_code = 1;
  real::RealRuntime* runtime = rt->get();
  runtime->env().spawn("console-consumer", [&] {
    exit_code = run_console_consumer(runtime->env(), args, format, cluster_options, consumer_options);
    runtime->stop();
  });
  runtime->run();
  return exit_code;
}

void register_console_consumer(CLI::App& app) {
  static ConsoleConsumerArgs args;
  auto* cmd = app.add_subcommand(
      "console-consumer",
      "Print the records of a Kafka topic (kafka-console-consumer.sh's flags and output).\n"
      "Examples:\n"
      "  kz console-consumer --bootstrap-server localhost:9092 --topic t --from-beginning --max-messages 10\n"
      "  kz console-consumer --bootstrap-server localhost:9092 --topic t --group g --property print.key=true\n"
      "  kz console-consumer --bootstrap-server localhost:9092 --topic t --partition 0 --offset 42 \\\n"
      "      --property print.headers=true --property print.timestamp=true --timeout-ms 5000\n"
      "Properties (--property): print.key, print.value, print.headers, print.timestamp, print.partition,\n"
      "print.offset, key.separator (default tab), line.separator, headers.separator, headers.key.separator,\n"
      "null.literal.");
  cmd->add_option("--bootstrap-server", args.bootstrap, "host:port[,host:port...]")->required();
  cmd->add_option("--topic", args.topic, "topic to read")->required();
  cmd->add_option("--group", args.group, "consumer group (commits what it printed; the next run resumes there)");
  cmd->add_flag("--from-beginning", args.from_beginning, "start at the earliest offset when there is no committed one");
  cmd->add_option("--max-messages", args.max_messages, "exit after this many records");
  cmd->add_option("--timeout-ms", args.timeout_ms, "exit when no record arrived for this long");
  cmd->add_option("--partition", args.partition, "read only this partition");
  cmd->add_option("--offset", args.offset, "earliest, latest or an offset (with --partition)");
  cmd->add_option("--property", args.properties, "output format property key=value (repeatable)");
  cmd->add_option("--consumer-property", args.consumer_properties, "consumer property key=value (repeatable)");
  cmd->add_option("--log-level", args.log_level, "debug, info, warn or error")->default_val("warn");
  cmd->callback([] { set_exit_code(cmd_console_consumer(args)); });
}

}  // namespace

KZ_COMMAND("console-consumer", register_console_consumer);

}  // namespace kz::cli
