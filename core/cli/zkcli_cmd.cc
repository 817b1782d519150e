// `kz zkcli`: a ZooKeeper command line in the manner of zkCli.sh (3.8), on kz's client library.
//   kz zkcli -server host:port ls /            (run one command and exit)
//   kz zkcli -server host:port create /a x \; get /a   (commands chained with ';')
//   kz zkcli -server host:port < commands.txt  (one command per line from stdin)
// Output mimics zkCli.sh: "Created /x", "[a, b]", stat blocks, getAcl's "'world,'anyone\n: cdrwa";
// errors go to stderr ("Node does not exist: /x"). Exit code 0, or 1 if the last command failed
// (2 for bad arguments to kz zkcli itself).
//
// Stdin is read with blocking reads: while it waits for a line no ping goes out, so an idle
// interactive session longer than its timeout expires; the next command then opens a new session.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/cli/commands.h"
#include "core/real/real_runtime.h"
#include "core/zk/client/cli_format.h"
#include "core/zk/client/client.h"

namespace kz::cli {

namespace {

using zk::ErrorCode;
using zk::client::Client;

constexpr const char* kUsage =
    "ZooKeeper -server host:port[,host:port...] [-timeout ms] cmd args\n"
    "\taddauth scheme auth\n"
    "\tcreate [-s] [-e] [-c] [-t ttl] path [data] [acl]\n"
    "\tdelete [-v version] path\n"
    "\tdeleteall path\n"
    "\tget [-s] [-w] path\n"
    "\tgetAcl [-s] path\n"
    "\tgetAllChildrenNumber path\n"
    "\tgetEphemerals [path]\n"
    "\tls [-s] [-w] [-R] path\n"
    "\tset [-s] [-v version] path data\n"
    "\tsetAcl [-s] [-v version] path acl\n"
    "\tstat [-w] path\n"
    "\tsync path\n"
    "\twhoami\n"
    "\tquit\n";

struct ZkcliArgs {
  std::string servers = "localhost:2181";
  int32_t timeout_ms = 30'000;
  std::vector<std::vector<std::string>> commands;  // from the command line; empty: read stdin
};

// One command's words: its flags (with their values) and positional arguments.
struct Parsed {
  std::vector<std::string> args;
  std::vector<std::string> flags;  // "-s", "-e"...
  std::optional<int64_t> version;
  std::optional<int64_t> ttl_ms;
  bool has(std::string_view flag) const { return std::find(flags.begin(), flags.end(), flag) != flags.end(); }
};

std::string usage_of(const std::string& cmd) {
  std::string_view all(kUsage);
  size_t pos = all.find("\t" + cmd + " ");
  if (pos == std::string_view::npos) pos = all.find("\t" + cmd + "\n");
  if (pos == std::string_view::npos) return cmd;
  size_t end = all.find('\n', pos);
  return std::string(all.substr(pos + 1, end - pos - 1));
}

// Splits words into flags and positionals; `flags` lists the flags the command knows, those in
// `with_value` take the next word as their value.
Result<Parsed> parse_words(const std::vector<std::string>& words, std::string_view flags, std::string_view with_value) {
  Parsed p;
  for (size_t i = 1; i < words.size(); i++) {
    const std::string& w = words[i];
    bool is_flag = w.size() == 2 && w[0] == '-' && flags.find(w[1]) != std::string_view::npos;
    if (!is_flag) {
      p.args.push_back(w);
      continue;
    }
    if (with_value.find(w[1]) != std::string_view::npos) {
      if (i + 1 >= words.size()) return Status(Code::kInvalidArgument, fmt::format("{} needs a value", w));
      const std::string& v = words[++i];
      int64_t n = 0;
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc() || ptr != v.data() + v.size()) {
        return Status(Code::kInvalidArgument, fmt::format("{}: not a number: '{}'", w, v));
      }
      if (w == "-v") p.version = n;
      if (w == "-t") p.ttl_ms = n;
      continue;
    }
    p.flags.push_back(w);
  }
  return p;
}

// zkCli's tokenizer: words separated by blanks; "double" or 'single' quotes group a word.
std::vector<std::string> tokenize(std::string_view line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) i++;
    if (i >= line.size()) break;
    if (line[i] == '"' || line[i] == '\'') {
      char quote = line[i++];
      size_t end = line.find(quote, i);
      if (end == std::string_view::npos) end = line.size();
      out.emplace_back(line.substr(i, end - i));
      i = end + 1;
      continue;
    }
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') i++;
    out.emplace_back(line.substr(start, i - start));
  }
  return out;
}

// Splits words into commands at ";" (a word of its own, or the end of a word).
std::vector<std::vector<std::string>> split_commands(const std::vector<std::string>& words) {
  std::vector<std::vector<std::string>> out(1);
  for (std::string w : words) {
    bool ends = !w.empty() && w.back() == ';';
    if (ends) w.pop_back();
    if (!w.empty()) out.back().push_back(w);
    if (ends && !out.back().empty()) out.emplace_back();
  }
  if (out.back().empty()) out.pop_back();
  return out;
}

class Shell {
 public:
  Shell(io::Env& env, const ZkcliArgs& args) : env_(env), args_(args) {}

  Status connect() {
    KZ_ASSIGN_OR_RETURN(std::vector<io::Address> servers, zk::client::parse_servers(args_.servers));
    zk::client::ClientOptions o;
    o.servers = std::move(servers);
    o.session_timeout_ms = args_.timeout_ms;
    o.on_event = [](const zk::client::WatchedEvent& e) {
      if (e.type == zk::EventType::kNone) return;
      std::printf("\nWATCHER::\n\nWatchedEvent state:SyncConnected type:%s path:%s\n",
                  std::string(zk::event_type_name(e.type)).c_str(), e.path.c_str());
      std::fflush(stdout);
    };
    client_ = Client::connect(env_, std::move(o));
    if (!client_->wait_connected(ms_to_ns(args_.timeout_ms))) {
      client_->close(0);
      return Status(Code::kConnectionRefused, fmt::format("could not connect to {}", args_.servers));
    }
    for (const auto& [scheme, auth] : auth_) client_->add_auth(scheme, auth);
    return Status::ok();
  }

  void close() {
    if (client_ != nullptr) client_->close(sec_to_ns(5));
  }

  // Runs one command; true if it succeeded.
  bool run(const std::vector<std::string>& words) {
    KZ_ASSERT(!words.empty());
    if (client_->state() == zk::client::State::kExpired) {
      std::fprintf(stderr, "session expired: opening a new session\n");
      if (Status st = connect(); !st.is_ok()) return fail(st.message());
    }
    const std::string& cmd = words[0];
    if (cmd == "ls") return ls(words);
    if (cmd == "create") return create(words);
    if (cmd == "get") return get(words);
    if (cmd == "set") return set(words);
    if (cmd == "delete") return remove(words);
    if (cmd == "deleteall" || cmd == "rmr") return deleteall(words);
    if (cmd == "stat") return stat(words);
    if (cmd == "getAcl") return get_acl(words);
    if (cmd == "setAcl") return set_acl(words);
    if (cmd == "addauth") return addauth(words);
    if (cmd == "sync") return sync(words);
    if (cmd == "getEphemerals") return get_ephemerals(words);
    if (cmd == "getAllChildrenNumber") return all_children(words);
    if (cmd == "whoami") return whoami();
    if (cmd == "help") {
      std::fputs(kUsage, stdout);
      return true;
    }
    std::fprintf(stderr, "Unknown command: %s\n%s", cmd.c_str(), kUsage);
    return false;
  }

 private:
  bool fail(const std::string& message) {
    std::fflush(stdout);  // keep results and errors in order on a shared terminal
    std::fprintf(stderr, "%s\n", message.c_str());
    return false;
  }
  bool zk_fail(ErrorCode code, const std::string& path) { return fail(zk::client::error_message(code, path)); }
  bool usage(const std::string& cmd) { return fail("Usage: " + usage_of(cmd)); }
  static void out(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

  // Parses `words` for a command taking `positional_min..max` positionals.
  std::optional<Parsed> parse(const std::vector<std::string>& words, std::string_view flags, std::string_view with_value,
                              size_t positional_min, size_t positional_max) {
    Result<Parsed> p = parse_words(words, flags, with_value);
    if (!p.is_ok()) {
      fail(p.status().message());
      usage(words[0]);
      return std::nullopt;
    }
    if (p->args.size() < positional_min || p->args.size() > positional_max) {
      usage(words[0]);
      return std::nullopt;
    }
    return std::move(*p);
  }

  bool ls(const std::vector<std::string>& words) {
    auto p = parse(words, "swR", "", 1, 1);
    if (!p) return false;
    const std::string& path = p->args[0];
    if (p->has("-R")) return ls_recursive(path, p->has("-w"));
    auto r = client_->get_children(path, p->has("-w"), p->has("-s"));
    if (!r.ok()) return zk_fail(r.err, path);
    std::vector<std::string> children = r.value.children;
    std::sort(children.begin(), children.end());
    out(zk::client::format_list(children) + "\n");
    if (p->has("-s")) out(zk::client::format_stat(r.value.stat));
    return true;
  }

  bool ls_recursive(const std::string& root, bool watch) {
    std::vector<std::string> stack{root};
    while (!stack.empty()) {
      std::string path = std::move(stack.back());
      stack.pop_back();
      auto r = client_->get_children(path, watch);
      if (!r.ok()) return zk_fail(r.err, path);
      out(path + "\n");
      std::vector<std::string> children = r.value.children;
      std::sort(children.rbegin(), children.rend());  // popped in ascending order
      for (const std::string& c : children) stack.push_back(path == "/" ? "/" + c : path + "/" + c);
    }
    return true;
  }

  bool create(const std::vector<std::string>& words) {
    auto p = parse(words, "esct", "t", 1, 3);
    if (!p) return false;
    const std::string& path = p->args[0];
    bool ephemeral = p->has("-e");
    bool sequential = p->has("-s");
    bool container = p->has("-c");
    bool ttl = p->ttl_ms.has_value();
    if ((container && (ephemeral || sequential)) || (ttl && (ephemeral || container))) {
      return fail(ephemeral && container ? "-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential."
                                         : "TTLs cannot be used with Ephemeral or Container nodes");
    }
    zk::client::CreateOptions o;
    if (container) o.mode = zk::CreateMode::kContainer;
    else if (ttl) o.mode = sequential ? zk::CreateMode::kPersistentSequentialWithTtl : zk::CreateMode::kPersistentWithTtl;
    else if (ephemeral) o.mode = sequential ? zk::CreateMode::kEphemeralSequential : zk::CreateMode::kEphemeral;
    else o.mode = sequential ? zk::CreateMode::kPersistentSequential : zk::CreateMode::kPersistent;
    o.ttl_ms = p->ttl_ms.value_or(0);
    zk::Buffer data;
    if (p->args.size() > 1) data = p->args[1];
    if (p->args.size() > 2) {
      auto acl = zk::client::parse_acl(p->args[2]);
      if (!acl.is_ok()) return fail(acl.status().message());
      o.acl = std::move(*acl);
    }
    auto r = client_->create(path, std::move(data), std::move(o));
    if (!r.ok()) return zk_fail(r.err, path);
    out("Created " + r.value.path + "\n");
    return true;
  }

  bool get(const std::vector<std::string>& words) {
    auto p = parse(words, "sw", "", 1, 1);
    if (!p) return false;
    const std::string& path = p->args[0];
    auto r = client_->get_data(path, p->has("-w"));
    if (!r.ok()) return zk_fail(r.err, path);
    out(r.value.data.value_or("null") + "\n");
    if (p->has("-s")) out(zk::client::format_stat(r.value.stat));
    return true;
  }

  bool set(const std::vector<std::string>& words) {
    auto p = parse(words, "sv", "v", 2, 2);
    if (!p) return false;
    const std::string& path = p->args[0];
    auto r = client_->set_data(path, p->args[1], static_cast<int32_t>(p->version.value_or(-1)));
    if (!r.ok()) return zk_fail(r.err, path);
    if (p->has("-s")) out(zk::client::format_stat(r.value));
    return true;
  }

  bool remove(const std::vector<std::string>& words) {
    auto p = parse(words, "v", "v", 1, 1);
    if (!p) return false;
    const std::string& path = p->args[0];
    ErrorCode e = client_->remove(path, static_cast<int32_t>(p->version.value_or(-1)));
    return e == ErrorCode::kOk || zk_fail(e, path);
  }

  bool deleteall(const std::vector<std::string>& words) {
    auto p = parse(words, "b", "b", 1, 1);
    if (!p) return false;
    const std::string& root = p->args[0];
    // Breadth-first listing, then deletion deepest first (ZKUtil.deleteRecursive).
    std::vector<std::string> order{root};
    for (size_t i = 0; i < order.size(); i++) {
      auto r = client_->get_children(order[i]);
      if (r.err == ErrorCode::kNoNode && i > 0) continue;  // gone meanwhile
      if (!r.ok()) return zk_fail(r.err, order[i]);
      for (const std::string& c : r.value.children) order.push_back(order[i] == "/" ? "/" + c : order[i] + "/" + c);
    }
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      if (*it == "/" || *it == "/zookeeper" || it->rfind("/zookeeper/", 0) == 0) continue;
      ErrorCode e = client_->remove(*it);
      if (e != ErrorCode::kOk && e != ErrorCode::kNoNode) return zk_fail(e, *it);
    }
    return true;
  }

  bool stat(const std::vector<std::string>& words) {
    auto p = parse(words, "w", "", 1, 1);
    if (!p) return false;
    const std::string& path = p->args[0];
    auto r = client_->exists(path, p->has("-w"));
    if (!r.ok()) return zk_fail(r.err, path);
    out(zk::client::format_stat(r.value));
    return true;
  }

  bool get_acl(const std::vector<std::string>& words) {
    auto p = parse(words, "s", "", 1, 1);
    if (!p) return false;
    const std::string& path = p->args[0];
    auto r = client_->get_acl(path);
    if (!r.ok()) return zk_fail(r.err, path);
    out(zk::client::format_acl(r.value.acl));
    if (p->has("-s")) out(zk::client::format_stat(r.value.stat));
    return true;
  }

  bool set_acl(const std::vector<std::string>& words) {
    auto p = parse(words, "svR", "v", 2, 2);
    if (!p) return false;
    const std::string& path = p->args[0];
    auto acl = zk::client::parse_acl(p->args[1]);
    if (!acl.is_ok()) return fail(acl.status().message());
    auto r = client_->set_acl(path, *acl, static_cast<int32_t>(p->version.value_or(-1)));
    if (!r.ok()) return zk_fail(r.err, path);
    if (p->has("-s")) out(zk::client::format_stat(r.value));
    return true;
  }

  bool addauth(const std::vector<std::string>& words) {
    auto p = parse(words, "", "", 1, 2);
    if (!p) return false;
    std::string auth = p->args.size() > 1 ? p->args[1] : "";
    ErrorCode e = client_->add_auth(p->args[0], auth);
    if (e != ErrorCode::kOk) return zk_fail(e, "");
    auth_.emplace_back(p->args[0], auth);
    return true;
  }

  bool sync(const std::vector<std::string>& words) {
    auto p = parse(words, "", "", 1, 1);
    if (!p) return false;
    ErrorCode e = client_->sync(p->args[0]);
    if (e != ErrorCode::kOk) return fail(fmt::format("Sync has failed. rc={}", static_cast<int32_t>(e)));
    out("Sync is OK\n");
    return true;
  }

  bool get_ephemerals(const std::vector<std::string>& words) {
    auto p = parse(words, "", "", 0, 1);
    if (!p) return false;
    std::string path = p->args.empty() ? "/" : p->args[0];
    auto r = client_->get_ephemerals(path);
    if (!r.ok()) return zk_fail(r.err, path);
    out(zk::client::format_list(r.value) + "\n");
    return true;
  }

  bool all_children(const std::vector<std::string>& words) {
    auto p = parse(words, "", "", 1, 1);
    if (!p) return false;
    auto r = client_->get_all_children_number(p->args[0]);
    if (!r.ok()) return zk_fail(r.err, p->args[0]);
    out(fmt::format("{}\n", r.value));
    return true;
  }

  bool whoami() {
    auto r = client_->who_am_i();
    if (!r.ok()) return zk_fail(r.err, "");
    out("Auth scheme: User\n");
    for (const zk::ClientInfo& ci : r.value) out(fmt::format("{}: {}\n", ci.auth_scheme, ci.user));
    return true;
  }

  io::Env& env_;
  const ZkcliArgs& args_;
  std::shared_ptr<Client> client_;
  std::vector<std::pair<std::string, std::string>> auth_;  // re-sent when a new session is opened
};

int run_zkcli(io::Env& env, const ZkcliArgs& args) {
  Shell shell(env, args);
  if (Status st = shell.connect(); !st.is_ok()) {
    std::fprintf(stderr, "kz zkcli: %s\n", st.message().c_str());
    return 1;
  }
  bool ok = true;
  if (!args.commands.empty()) {
    for (const auto& cmd : args.commands) ok = shell.run(cmd);
  } else {
    std::string line;
    while (std::getline(std::cin, line)) {
      for (const auto& cmd : split_commands(tokenize(line))) {
        if (cmd[0] == "quit" || cmd[0] == "close") {
          shell.close();
          return ok ? 0 : 1;
        }
        ok = shell.run(cmd);
        std::fflush(stdout);
      }
    }
  }
  std::fflush(stdout);
  shell.close();
  return ok ? 0 : 1;
}

int cmd_zkcli(const std::vector<std::string>& raw) {
  ZkcliArgs args;
  std::vector<std::string> words;
  for (size_t i = 0; i < raw.size(); i++) {
    const std::string& w = raw[i];
    if (words.empty() && (w == "-server" || w == "--server" || w == "-timeout" || w == "--timeout")) {
      if (i + 1 >= raw.size()) {
        std::fprintf(stderr, "kz zkcli: %s needs a value\n", w.c_str());
        return 2;
      }
      const std::string& v = raw[++i];
      if (w.find("server") != std::string::npos) {
        args.servers = v;
      } else {
        int32_t ms = 0;
        auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), ms);
        if (ec != std::errc() || ptr != v.data() + v.size() || ms <= 0) {
          std::fprintf(stderr, "kz zkcli: -timeout: expected milliseconds, got '%s'\n", v.c_str());
          return 2;
        }
        args.timeout_ms = ms;
      }
      continue;
    }
    words.push_back(w);
  }
  if (Result<std::vector<io::Address>> s = zk::client::parse_servers(args.servers); !s.is_ok()) {
    std::fprintf(stderr, "kz zkcli: -server: %s\n", s.status().message().c_str());
    return 2;
  }
  args.commands = split_commands(words);
  real::RealRuntimeOptions options;
  options.node = "zkcli";
  options.log_level = Level::kWarn;
  Result<std::unique_ptr<real::RealRuntime>> rt = real::RealRuntime::create(options);
  if (!rt.is_ok()) {
    std::fprintf(stderr, "kz zkcli: %s\n", rt.status().message().c_str());
    return 2;
  }
  int exit_code = 1;
  real::RealRuntime* runtime = rt->get();
  runtime->env().spawn("zkcli", [&] {
    exit_code = run_zkcli(runtime->env(), args);
    runtime->stop();
  });
  runtime->run();
  return exit_code;
}

void register_zkcli(CLI::App& app) {
  static std::vector<std::string> raw;
  auto* cmd = app.add_subcommand("zkcli",
                                 "A ZooKeeper command line (zkCli.sh's commands and output).\n"
                                 "Usage: kz zkcli -server host:port[,host:port...] [-timeout ms] [cmd args [; cmd args]...]\n"
                                 "Without a command, reads commands from stdin, one per line.\n"
                                 "Examples:\n"
                                 "  kz zkcli -server localhost:2181 ls /\n"
                                 "  kz zkcli -server localhost:2181 create /app hello\n"
                                 "  kz zkcli -server localhost:2181 create -e -s /app/lock- \\; ls -s /app\n"
                                 "  kz zkcli -server localhost:2181 addauth digest alice:pw \\; create /private x auth::cdrwa \\; getAcl /private\n"
                                 "  printf 'addauth digest u:p\\nget -s /app\\n' | kz zkcli -server localhost:2181\n"
                                 "Commands:\n" +
                                     std::string(kUsage).substr(std::string(kUsage).find('\n') + 1));
  cmd->allow_extras();
  cmd->prefix_command();
  cmd->callback([cmd] {
    raw = cmd->remaining();
    set_exit_code(cmd_zkcli(raw));
  });
}

}  // namespace

KZ_COMMAND("zkcli", register_zkcli);

}  // namespace kz::cli
