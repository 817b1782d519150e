// The seam's contract, checked once against both backends: every body below runs on the real
// backend (loopback sockets, /tmp files, the OS clock) and on the simulated one (sim::World).
// A behaviour that differs between them is a bug in one of them.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "core/runtime/sync.h"
#include "tests/seam/seam_backends.h"

namespace kz::testing {
namespace {

// Generous on both sides: the real backend finishes in milliseconds, the simulated one jumps time.
constexpr int64_t kRunLimitNs = sec_to_ns(30);

std::span<const uint8_t> bytes(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

template <typename Backend>
class SeamTest : public ::testing::Test {
 protected:
  // Spawns `fn` on node `i`; run() returns once every spawned fiber has ended.
  void spawn(size_t i, std::string name, std::function<void()> fn) {
    pending_++;
    backend_.env(i).spawn(std::move(name), [this, fn = std::move(fn)] {
      struct Done {
        SeamTest* t;
        ~Done() {
          if (--t->pending_ == 0) t->backend_.sched().stop();
        }
      } done{this};
      fn();
    });
  }
  // True if every spawned fiber ended within the limit.
  bool run() {
    backend_.run_for(kRunLimitNs);
    return pending_ == 0;
  }
  io::Env& env(size_t i) { return backend_.env(i); }
  io::Address any_port(size_t i) const { return io::Address{backend_.host(i), 0}; }

  Backend backend_;
  int pending_ = 0;
};

struct BackendNames {
  template <typename T>
  static std::string GetName(int) {
    return T::kName;
  }
};

using Backends = ::testing::Types<RealBackend, SimBackend>;
TYPED_TEST_SUITE(SeamTest, Backends, BackendNames);

TYPED_TEST(SeamTest, ListenerAddressReportsTheChosenPort) {
  auto listener = this->env(0).net->listen(this->any_port(0));
  ASSERT_TRUE(listener.is_ok()) << listener.status().to_string();
  io::Address addr = (*listener)->address();
  EXPECT_EQ(addr.host, this->any_port(0).host);
  EXPECT_NE(addr.port, 0);
  // The port is taken now.
  auto again = this->env(0).net->listen(addr);
  ASSERT_FALSE(again.is_ok());
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists) << again.status().to_string();
  // And usable: a peer reaches it at exactly that address.
  io::Address seen_local;
  this->spawn(0, "acceptor", [&] {
    auto s = (*listener)->accept();
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    seen_local = (*s)->local();
  });
  this->spawn(1, "client", [&] {
    auto c = this->env(1).net->connect(addr, sec_to_ns(5));
    ASSERT_TRUE(c.is_ok()) << c.status().to_string();
    EXPECT_EQ((*c)->peer(), addr);
  });
  ASSERT_TRUE(this->run());
  EXPECT_EQ(seen_local, addr);
}

TYPED_TEST(SeamTest, StreamEchoWithPartialReads) {
  auto listener = std::move(this->env(0).net->listen(this->any_port(0))).value();
  io::Address addr = listener->address();
  // Messages of many sizes in both directions; the server reads with a small buffer, so a large
  // message needs several reads, and the client reassembles echoes from whatever read_some gives.
  std::vector<std::string> messages;
  size_t total = 0;
  for (int i = 0; i < 40; i++) {
    std::string m;
    for (int j = 0; j < 1 + (i * 997) % 20000; j++) m.push_back(static_cast<char>('a' + (i + j) % 26));
    total += m.size();
    messages.push_back(std::move(m));
  }
  size_t server_reads = 0;
  std::string echoed;
  this->spawn(0, "server", [&] {
    auto s = std::move(listener->accept()).value();
    uint8_t buf[1000];
    for (;;) {
      Result<size_t> n = s->read_some(buf, sec_to_ns(10));
      ASSERT_TRUE(n.is_ok()) << n.status().to_string();
      if (*n == 0) break;
      ASSERT_LE(*n, sizeof(buf));
      server_reads++;
      ASSERT_TRUE(s->write_all({buf, *n}).is_ok());
    }
  });
  this->spawn(1, "client", [&] {
    auto c = std::move(this->env(1).net->connect(addr, sec_to_ns(5))).value();
    std::vector<uint8_t> buf(4096);
    for (const std::string& m : messages) {
      ASSERT_TRUE(c->write_all(bytes(m)).is_ok());
      size_t got = 0;
      while (got < m.size()) {
        size_t want = std::min(buf.size(), m.size() - got);
        Result<size_t> n = c->read_some({buf.data(), want}, sec_to_ns(10));
        ASSERT_TRUE(n.is_ok()) << n.status().to_string();
        ASSERT_GT(*n, 0u) << "early EOF";
        echoed.append(reinterpret_cast<const char*>(buf.data()), *n);
        got += *n;
      }
    }
    c->close();
  });
  ASSERT_TRUE(this->run());
  std::string expected;
  for (const std::string& m : messages) expected += m;
  EXPECT_EQ(echoed.size(), total);
  EXPECT_TRUE(echoed == expected);
  EXPECT_GT(server_reads, messages.size());  // the large messages took several reads
}

TYPED_TEST(SeamTest, EofAfterPeerCloses) {
  auto listener = std::move(this->env(0).net->listen(this->any_port(0))).value();
  std::string got;
  Result<size_t> after_eof = Status(Code::kIoError, "not read");
  this->spawn(0, "server", [&] {
    auto s = std::move(listener->accept()).value();
    ASSERT_TRUE(s->write_all(bytes("last words")).is_ok());
    s->close();
    s->close();  // idempotent
  });
  this->spawn(1, "client", [&] {
    auto c = std::move(this->env(1).net->connect(listener->address(), sec_to_ns(5))).value();
    uint8_t buf[3];
    for (;;) {
      Result<size_t> n = c->read_some(buf, sec_to_ns(10));
      ASSERT_TRUE(n.is_ok()) << n.status().to_string();
      if (*n == 0) break;
      got.append(reinterpret_cast<const char*>(buf), *n);
    }
    after_eof = c->read_some(buf, sec_to_ns(1));
  });
  ASSERT_TRUE(this->run());
  EXPECT_EQ(got, "last words");
  ASSERT_TRUE(after_eof.is_ok()) << after_eof.status().to_string();
  EXPECT_EQ(*after_eof, 0u);  // EOF stays EOF
}

TYPED_TEST(SeamTest, ConnectToClosedPortIsRefused) {
  io::Address addr;
  {
    auto listener = std::move(this->env(0).net->listen(this->any_port(0))).value();
    addr = listener->address();
    listener->close();
  }
  Status status;
  this->spawn(1, "client", [&] { status = this->env(1).net->connect(addr, sec_to_ns(5)).status(); });
  ASSERT_TRUE(this->run());
  EXPECT_EQ(status.code(), Code::kConnectionRefused) << status.to_string();
}

TYPED_TEST(SeamTest, ReadTimeoutAndCloseWakeBlockedReaders) {
  auto listener = std::move(this->env(0).net->listen(this->any_port(0))).value();
  Status timed_out, closed_under_reader;
  int64_t waited_ns = 0;
  rt::Event client_done(this->backend_.sched());
  this->spawn(0, "server", [&] {
    auto s = std::move(listener->accept()).value();
    client_done.wait();  // keeps the connection open and silent
  });
  this->spawn(1, "client", [&] {
    auto c = std::move(this->env(1).net->connect(listener->address(), sec_to_ns(5))).value();
    io::Clock& clock = *this->env(1).clock;
    uint8_t buf[8];
    int64_t start_ns = clock.now_ns();
    timed_out = c->read_some(buf, ms_to_ns(40)).status();
    waited_ns = clock.now_ns() - start_ns;
    rt::Event reader_done(this->backend_.sched());
    this->env(1).spawn("reader", [&, s = c.get()] {
      closed_under_reader = s->read_some(buf).status();
      reader_done.set();
    });
    clock.sleep_for(ms_to_ns(5));
    c->close();
    reader_done.wait();
    client_done.set();
  });
  ASSERT_TRUE(this->run());
  EXPECT_EQ(timed_out.code(), Code::kTimedOut) << timed_out.to_string();
  EXPECT_GE(waited_ns, ms_to_ns(40));
  EXPECT_LT(waited_ns, sec_to_ns(5));
  EXPECT_EQ(closed_under_reader.code(), Code::kClosed) << closed_under_reader.to_string();
}

TYPED_TEST(SeamTest, FilesWriteSyncReadRenameListRemove) {
  Status missing;
  std::vector<std::string> listed, listed_after;
  std::string contents, renamed_contents;
  uint64_t size_bytes = 0;
  bool old_name_exists = true;
  bool removed_exists = true;
  this->spawn(0, "disk", [&] {
    io::Fs& fs = *this->env(0).fs;
    ASSERT_TRUE(fs.mkdirs("data/log").is_ok());
    {
      auto f = std::move(fs.open("data/log/seg.0", io::OpenOptions::create_new())).value();
      ASSERT_TRUE(f->append(bytes("hello, ")).is_ok());
      ASSERT_TRUE(f->append(bytes("durable world")).is_ok());
      ASSERT_TRUE(f->pwrite(0, bytes("H")).is_ok());
      ASSERT_TRUE(f->sync().is_ok());
      size_bytes = *f->size();
      ASSERT_TRUE(f->truncate(13).is_ok());
      ASSERT_TRUE(f->sync().is_ok());
      ASSERT_TRUE(f->close().is_ok());
    }
    ASSERT_TRUE(fs.sync_dir("data/log").is_ok());
    ASSERT_TRUE(fs.write_file_atomic("data/log/b.meta", bytes("meta")).is_ok());
    ASSERT_TRUE(fs.write_file_atomic("data/log/a.meta", bytes("meta")).is_ok());
    auto data = fs.read_file("data/log/seg.0");
    ASSERT_TRUE(data.is_ok()) << data.status().to_string();
    contents.assign(data->begin(), data->end());
    listed = std::move(fs.list("data/log")).value();

    ASSERT_TRUE(fs.rename("data/log/seg.0", "data/log/seg.1").is_ok());
    ASSERT_TRUE(fs.sync_dir("data/log").is_ok());
    old_name_exists = *fs.exists("data/log/seg.0");
    auto moved = fs.read_file("data/log/seg.1");
    ASSERT_TRUE(moved.is_ok());
    renamed_contents.assign(moved->begin(), moved->end());
    ASSERT_TRUE(fs.remove("data/log/a.meta").is_ok());
    removed_exists = *fs.exists("data/log/a.meta");
    listed_after = std::move(fs.list("data/log")).value();
    missing = fs.open("data/log/nope", io::OpenOptions::read_only()).status();
  });
  ASSERT_TRUE(this->run());
  EXPECT_EQ(size_bytes, 20u);
  EXPECT_EQ(contents, "Hello, durabl");
  EXPECT_EQ(listed, (std::vector<std::string>{"a.meta", "b.meta", "seg.0"}));
  EXPECT_FALSE(old_name_exists);
  EXPECT_EQ(renamed_contents, "Hello, durabl");
  EXPECT_FALSE(removed_exists);
  EXPECT_EQ(listed_after, (std::vector<std::string>{"b.meta", "seg.1"}));
  EXPECT_EQ(missing.code(), Code::kNotFound) << missing.to_string();
  EXPECT_NE(missing.message().find("nope"), std::string::npos) << missing.to_string();
}

TYPED_TEST(SeamTest, NodesHaveSeparateDisks) {
  bool seen_by_other = true;
  this->spawn(0, "writer", [&] { ASSERT_TRUE(this->env(0).fs->write_file_atomic("mine", bytes("0")).is_ok()); });
  this->spawn(1, "looker", [&] {
    this->env(1).clock->sleep_for(ms_to_ns(50));
    seen_by_other = *this->env(1).fs->exists("mine");
  });
  ASSERT_TRUE(this->run());
  EXPECT_FALSE(seen_by_other);
}

TYPED_TEST(SeamTest, SleepsWakeInDeadlineOrder) {
  std::vector<std::string> order;
  struct Sleeper {
    size_t node;
    int64_t ms;
    std::string name;
  };
  int64_t elapsed_ns = 0;
  for (const Sleeper& s : {Sleeper{0, 30, "a30"}, Sleeper{1, 10, "b10"}, Sleeper{0, 20, "a20"}, Sleeper{1, 40, "b40"}}) {
    this->spawn(s.node, s.name, [&, s] {
      io::Clock& clock = *this->env(s.node).clock;
      int64_t start_ns = clock.now_ns();
      clock.sleep_for(ms_to_ns(s.ms));
      EXPECT_GE(clock.now_ns() - start_ns, ms_to_ns(s.ms)) << s.name;
      order.push_back(s.name);
      if (s.name == "b40") elapsed_ns = clock.now_ns() - start_ns;
    });
  }
  ASSERT_TRUE(this->run());
  EXPECT_EQ(order, (std::vector<std::string>{"b10", "a20", "a30", "b40"}));
  EXPECT_LT(elapsed_ns, sec_to_ns(5));
  // A deadline computed on a node's clock is a scheduler deadline in the future.
  EXPECT_GT(this->env(0).clock->deadline_after_ns(ms_to_ns(1)), this->backend_.sched().now_ns());
  EXPECT_EQ(this->env(0).clock->deadline_after_ns(kNoTimeout), kNever);
}

}  // namespace
}  // namespace kz::testing
