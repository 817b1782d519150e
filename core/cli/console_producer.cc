// `kz console-producer`: kafka-console-producer.sh on kz's client library. One record per stdin
// line; with parse.key=true a line is key<key.separator>value (default separator a tab); with
// parse.headers=true it starts with headers h1:v1,h2:v2 then a tab (Kafka 3.2's layout).
// Records are sent when stdin has no more buffered input (or a batch fills), so an interactive
// line goes out at once and a piped file goes out in batches. Exit code 0 when every record was
// delivered, 1 if any failed, 2 for bad arguments.
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "core/cli/commands.h"
#include "core/kafka/client/producer.h"
#include "core/real/real_runtime.h"

namespace kz::cli {

namespace {

struct ConsoleProducerArgs {
  std::string bootstrap;
  std::string topic;
  std::vector<std::string> properties;
  std::vector<std::string> producer_properties;
  std::string compression;
  std::string log_level = "warn";
};

struct LineFormat {
  bool parse_key = false;
  std::string key_separator = "\t";
  bool parse_headers = false;
  std::string headers_delimiter = "\t";
  std::string headers_separator = ",";
  std::string headers_key_separator = ":";
  bool ignore_error = false;
};

Result<std::pair<std::string, std::string>> split_property(const std::string& text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status(Code::kInvalidArgument, fmt::format("expected key=value, got '{}'", text));
  }
  return std::make_pair(text.substr(0, eq), text.substr(eq + 1));
}

Status set_format_property(LineFormat* f, const std::string& key, const std::string& value) {
  auto as_bool = [&](bool* out) -> Status {
    if (value != "true" && value != "false") {
      return Status(Code::kInvalidArgument, fmt::format("{}: expected true or false, got '{}'", key, value));
    }
    *out = value == "true";
    return Status::ok();
  };
  if (key == "parse.key") return as_bool(&f->parse_key);
  if (key == "parse.headers") return as_bool(&f->parse_headers);
  if (key == "ignore.error") return as_bool(&f->ignore_error);
  if (value.empty()) return Status(Code::kInvalidArgument, fmt::format("{} must not be empty", key));
  if (key == "key.separator") {
    f->key_separator = value;
  } else if (key == "headers.delimiter") {
    f->headers_delimiter = value;
  } else if (key == "headers.separator") {
    f->headers_separator = value;
  } else if (key == "headers.key.separator") {
    f->headers_key_separator = value;
  } else {
    return Status(Code::kInvalidArgument, fmt::format("unknown --property '{}'", key));
  }
  return Status::ok();
}

kafka::Bytes to_bytes(std::string_view s) { return kafka::Bytes(s.begin(), s.end()); }

Result<kafka::client::ProducerRecord> parse_line(const LineFormat& f, const std::string& topic, std::string_view line) {
  kafka::client::ProducerRecord r;
  r.topic = topic;
  if (f.parse_headers) {
    size_t end = line.find(f.headers_delimiter);
    if (end == std::string_view::npos) {
      return Status(Code::kInvalidArgument, fmt::format("no headers delimiter in line '{}'", line));
    }
    std::string_view headers = line.substr(0, end);
    line.remove_prefix(end + f.headers_delimiter.size());
    while (!headers.empty()) {
      size_t sep = headers.find(f.headers_separator);
      std::string_view one = headers.substr(0, sep);
      headers = sep == std::string_view::npos ? std::string_view() : headers.substr(sep + f.headers_separator.size());
      size_t ks = one.find(f.headers_key_separator);
      kafka::RecordHeader h;
      if (ks == std::string_view::npos) {
        h.key = std::string(one);
      } else {
        h.key = std::string(one.substr(0, ks));
        h.value = to_bytes(one.substr(ks + f.headers_key_separator.size()));
      }
      r.headers.push_back(std::move(h));
    }
  }
  if (f.parse_key) {
    size_t sep = line.find(f.key_separator);
    if (sep == std::string_view::npos) {
      if (!f.ignore_error) {
        return Status(Code::kInvalidArgument, fmt::format("no key separator in line '{}'", line));
      }
      r.value = to_bytes(line);
      return r;
    }
    r.key = to_bytes(line.substr(0, sep));
    line.remove_prefix(sep + f.key_separator.size());
  }
  r.value = to_bytes(line);
  return r;
}

// True when a read from stdin would not block: more input is already there. With
// sync_with_stdio(false), std::cin has its own buffer and in_avail() counts what is buffered plus
// what the OS holds for the descriptor (libstdc++'s showmanyc), without blocking.
bool stdin_has_input() { return std::cin.rdbuf()->in_avail() > 0; }

int run_console_producer(io::Env& env, const ConsoleProducerArgs& args, const LineFormat& format,
                         kafka::client::ClusterOptions cluster_options, kafka::client::ProducerOptions options) {
  kafka::client::Cluster cluster(env, std::move(cluster_options));
  uint64_t failures = 0;
  options.on_delivery = [&](const kafka::client::DeliveryReport& r) {
    if (r.status.is_ok()) return;
    failures++;
    std::fprintf(stderr, "kz console-producer: record to %s-%d failed: %s\n", r.tp.topic.c_str(), r.tp.partition,
                 r.status.message().c_str());
  };
  if (Result<const kafka::client::TopicInfo*> t = cluster.topic(args.topic); !t.is_ok()) {
    std::fprintf(stderr, "kz console-producer: %s\n", t.status().message().c_str());
    return 1;
  }
  kafka::client::Producer producer(cluster, options);
  std::ios::sync_with_stdio(false);
  std::string line;
  uint64_t lines = 0;
  while (std::getline(std::cin, line)) {
    lines++;
    Result<kafka::client::ProducerRecord> r = parse_line(format, args.topic, line);
    if (!r.is_ok()) {
      std::fprintf(stderr, "kz console-producer: line %llu: %s\n", static_cast<unsigned long long>(lines),
                   r.status().message().c_str());
      failures++;
      continue;
    }
    if (Result<uint64_t> id = producer.send(std::move(r).value()); !id.is_ok()) {
      std::fprintf(stderr, "kz console-producer: %s\n", id.status().message().c_str());
      failures++;
      continue;
    }
    if (!stdin_has_input()) producer.flush();
  }
  producer.flush();
  env.log.info("console-producer", "{} lines read, {} records delivered, {} failed", lines, producer.delivered(),
               failures);
  return failures == 0 ? 0 : 1;
}

int cmd_console_producer(const ConsoleProducerArgs& args) {
  LineFormat format;
  for (const std::string& p : args.properties) {
    Result<std::pair<std::string, std::string>> kv = split_property(p);
    Status st = kv.is_ok() ? set_format_property(&format, kv->first, kv->second) : kv.status();
    if (!st.is_ok()) {
      std::fprintf(stderr, "kz console-producer: --property: %s\n", st.message().c_str());
      return 2;
    }
  }
  kafka::client::ProducerOptions options;
  options.linger_ns = ms_to_ns(1000);
  if (!args.compression.empty()) {
    Result<kafka::Compression> c = kafka::compression_from_name(args.compression);
    if (!c.is_ok()) {
      std::fprintf(stderr, "kz console-producer: --compression-codec: %s\n", c.status().message().c_str());
      return 2;
    }
    options.compression = *c;
  }
  for (const std::string& p : args.producer_properties) {
    Result<std::pair<std::string, std::string>> kv = split_property(p);
    Status st = kv.is_ok() ? kafka::client::set_producer_property(&options, kv->first, kv->second) : kv.status();
    if (!st.is_ok()) {
      std::fprintf(stderr, "kz console-producer: --producer-property: %s\n", st.message().c_str());
      return 2;
    }
  }
  kafka::client::ClusterOptions cluster_options;
  Result<std::vector<io::Address>> bootstrap = kafka::client::parse_bootstrap(args.bootstrap);
  if (!bootstrap.is_ok()) {
    std::fprintf(stderr, "kz console-producer: --bootstrap-server: %s\n", bootstrap.status().message().c_str());
    return 2;
  }
  cluster_options.bootstrap = *bootstrap;
  cluster_options.connection.client_id = "kz-console-producer";
  real::RealRuntimeOptions rt_options;
  rt_options.node = "console-producer";
  if (!parse_level(args.log_level, &rt_options.log_level)) {
    std::fprintf(stderr, "kz console-producer: --log-level: expected debug, info, warn or error\n");
    return 2;
  }
  Result<std::unique_ptr<real::RealRuntime>> rt = real::RealRuntime::create(rt_options);
  if (!rt.is_ok()) {
    std::fprintf(stderr, "kz console-producer: %s\n", rt.status().message().c_str());
    return 2;
  }
  int exit_code = 1;
  real::RealRuntime* runtime = rt->get();
  runtime->env().spawn("console-producer", [&] {
    exit_code = run_console_producer(runtime->env(), args, format, cluster_options, options);
    runtime->stop();
  });
  runtime->run();
  return exit_code;
}

void register_console_producer(CLI::App& app) {
  static ConsoleProducerArgs args;
  auto* cmd = app.add_subcommand(
      "console-producer",
      "Send stdin lines as records to a Kafka topic (kafka-console-producer.sh's flags).\n"
      "Examples:\n"
      "  echo hello | kz console-producer --bootstrap-server localhost:9092 --topic t\n"
      "  printf 'k1:v1\\nk2:v2\\n' | kz console-producer --bootstrap-server localhost:9092 --topic t \\\n"
      "      --property parse.key=true --property key.separator=:\n"
      "  kz console-producer --bootstrap-server localhost:9092 --topic t --producer-property acks=all \\\n"
      "      --producer-property enable.idempotence=true --compression-codec zstd < lines.txt\n"
      "Properties (--property): parse.key, key.separator (default tab), parse.headers (lines start with\n"
      "h1:v1,h2:v2<tab>), headers.delimiter, headers.separator, headers.key.separator, ignore.error.\n"
      "Producer properties (--producer-property): acks, linger.ms, batch.size, compression.type, retries,\n"
      "request.timeout.ms, enable.idempotence.");
  cmd->add_option("--bootstrap-server", args.bootstrap, "host:port[,host:port...]")->required();
  cmd->add_option("--topic", args.topic, "topic to write to")->required();
  cmd->add_option("--property", args.properties, "line format property key=value (repeatable)");
  cmd->add_option("--producer-property", args.producer_properties, "producer property key=value (repeatable)");
  cmd->add_option("--compression-codec", args.compression, "none, gzip, snappy, lz4 or zstd");
  cmd->add_option("--log-level", args.log_level, "debug, info, warn or error")->default_val("warn");
  cmd->callback([] { set_exit_code(cmd_console_producer(args)); });
}

}  // namespace

KZ_COMMAND("console-producer", register_console_producer);

}  // namespace kz::cli
