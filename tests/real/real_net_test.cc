// The real network backend over loopback: echo, large transfers, refusals, timeouts, close, and
// that outside events are not starved by always-runnable fibers.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/real/real_runtime.h"
#include "core/runtime/sync.h"

namespace kz::real {
namespace {

constexpr int64_t kTestLimitNs = sec_to_ns(20);  // a hung test fails instead of hanging

std::unique_ptr<RealRuntime> make_runtime() {
  RealRuntimeOptions options;
  options.node = "t";
  options.seed = 7;
  options.log_level = Level::kWarn;
  options.handle_signals = false;
  Result<std::unique_ptr<RealRuntime>> rt = RealRuntime::create(std::move(options));
  KZ_ASSERT_MSG(rt.is_ok(), rt.status().to_string());
  return std::move(rt).value();
}

std::unique_ptr<io::Listener> listen_loopback(RealRuntime& rt) {
  Result<std::unique_ptr<io::Listener>> l = rt.net().listen({"127.0.0.1", 0});
  KZ_ASSERT_MSG(l.is_ok(), l.status().to_string());
  return std::move(l).value();
}

// Accepts one connection and echoes what it reads until EOF. Counts reads and bytes.
void echo_one(io::Listener& listener, size_t* reads, size_t* bytes) {
  Result<std::unique_ptr<io::Stream>> s = listener.accept();
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  std::vector<uint8_t> buf(64 * 1024);
  for (;;) {
    Result<size_t> n = (*s)->read_some(buf);
    ASSERT_TRUE(n.is_ok()) << n.status().to_string();
    if (*n == 0) break;
    (*reads)++;
    *bytes += *n;
    ASSERT_TRUE((*s)->write_all(std::span<const uint8_t>(buf.data(), *n)).is_ok());
  }
}

std::vector<uint8_t> pattern(size_t size, uint32_t salt) {
  std::vector<uint8_t> out(size);
  uint32_t x = salt * 2654435761u + 1;
  for (size_t i = 0; i < size; i++) {
    x = x * 1103515245u + 12345u;
    out[i] = static_cast<uint8_t>(x >> 16);
  }
  return out;
}

TEST(RealNet, EchoManyMessages) {
  auto rt = make_runtime();
  auto listener = listen_loopback(*rt);
  EXPECT_EQ(listener->address().host, "127.0.0.1");
  EXPECT_NE(listener->address().port, 0);
  size_t reads = 0, bytes = 0;
  int echoed = 0;
  rt->group().spawn("server", [&] { echo_one(*listener, &reads, &bytes); });
  rt->group().spawn("client", [&] {
    Result<std::unique_ptr<io::Stream>> c = rt->net().connect(listener->address(), sec_to_ns(5));
    ASSERT_TRUE(c.is_ok()) << c.status().to_string();
    EXPECT_EQ((*c)->peer(), listener->address());
    EXPECT_EQ((*c)->local().host, "127.0.0.1");
    for (uint32_t i = 0; i < 500; i++) {
      std::vector<uint8_t> msg = pattern(1 + (i * 37) % 3000, i);
      ASSERT_TRUE((*c)->write_all(msg).is_ok());
      std::vector<uint8_t> back(msg.size());
      ASSERT_TRUE((*c)->read_exact(back, sec_to_ns(5)).is_ok());
      ASSERT_EQ(back, msg) << "message " << i;
      echoed++;
    }
    (*c)->close();
  });
  EXPECT_EQ(rt->run_for(kTestLimitNs), rt::Scheduler::RunResult::kQuiescent);
  EXPECT_EQ(echoed, 500);
  EXPECT_GE(reads, 500u);
  size_t expected_bytes = 0;
  for (uint32_t i = 0; i < 500; i++) expected_bytes += 1 + (i * 37) % 3000;
  EXPECT_EQ(bytes, expected_bytes);
  // Hundreds of waits, three registrations: the listener and the two ends.
  EXPECT_EQ(rt->driver().registrations_total(), 3u);
  EXPECT_GT(rt->driver().epoll_waits(), 3u);
  listener.reset();
  EXPECT_EQ(rt->driver().registered(), 0u);
}

TEST(RealNet, LargeTransferWithConcurrentReader) {
  auto rt = make_runtime();
  auto listener = listen_loopback(*rt);
  constexpr size_t kSize = 4 << 20;
  std::vector<uint8_t> sent = pattern(kSize, 99);
  std::vector<uint8_t> received;
  size_t server_reads = 0, server_bytes = 0, client_reads = 0;
  rt->group().spawn("server", [&] { echo_one(*listener, &server_reads, &server_bytes); });
  rt->group().spawn("client", [&] {
    Result<std::unique_ptr<io::Stream>> c = rt->net().connect(listener->address());
    ASSERT_TRUE(c.is_ok()) << c.status().to_string();
    io::Stream* stream = c->get();
    rt::Event read_done(rt->sched());
    // The echo comes back while we are still writing: a separate fiber must read, or both sides'
    // socket buffers fill and the transfer deadlocks.
    rt->group().spawn("client-reader", [&] {
      std::vector<uint8_t> buf(100'000);
      while (received.size() < kSize) {
        Result<size_t> n = stream->read_some(buf, sec_to_ns(10));
        ASSERT_TRUE(n.is_ok()) << n.status().to_string();
        ASSERT_GT(*n, 0u);
        client_reads++;
        received.insert(received.end(), buf.begin(), buf.begin() + static_cast<ptrdiff_t>(*n));
      }
      read_done.set();
    });
    ASSERT_TRUE(stream->write_all(sent).is_ok());
    read_done.wait();
    stream->close();
  });
  EXPECT_EQ(rt->run_for(kTestLimitNs), rt::Scheduler::RunResult::kQuiescent);
  EXPECT_EQ(server_bytes, kSize);
  EXPECT_TRUE(received == sent);
  // 4 MiB cannot arrive in one read: partial reads happened and were handled.
  EXPECT_GT(server_reads, 1u);
  EXPECT_GT(client_reads, 1u);
}

TEST(RealNet, ConnectToClosedPortIsRefused) {
  auto rt = make_runtime();
  io::Address addr = listen_loopback(*rt)->address();  // the listener is closed again at once
  Status status;
  rt->group().spawn("client", [&] {
    Result<std::unique_ptr<io::Stream>> c = rt->net().connect(addr, sec_to_ns(5));
    ASSERT_FALSE(c.is_ok());
    status = c.status();
  });
  rt->run_for(kTestLimitNs);
  EXPECT_EQ(status.code(), Code::kConnectionRefused) << status.to_string();
  EXPECT_NE(status.message().find(addr.to_string()), std::string::npos) << status.to_string();
}

TEST(RealNet, UnknownHostIsNotFound) {
  auto rt = make_runtime();
  Status status;
  rt->group().spawn("client", [&] { status = rt->net().connect({"no-such-host.invalid", 9}, sec_to_ns(5)).status(); });
  rt->run_for(kTestLimitNs);
  EXPECT_EQ(status.code(), Code::kNotFound) << status.to_string();
}

TEST(RealNet, ReadTimesOutWithoutData) {
  auto rt = make_runtime();
  auto listener = listen_loopback(*rt);
  std::unique_ptr<io::Stream> server_side;
  Status status;
  int64_t waited_ns = 0;
  rt->group().spawn("server", [&] { server_side = std::move(listener->accept()).value(); });
  rt->group().spawn("client", [&] {
    auto c = std::move(rt->net().connect(listener->address())).value();
    uint8_t buf[16];
    int64_t start = rt->clock().now_ns();
    status = c->read_some(buf, ms_to_ns(50)).status();
    waited_ns = rt->clock().now_ns() - start;
    // A zero timeout polls.
    EXPECT_EQ(c->read_some(buf, 0).status().code(), Code::kTimedOut);
    // The stream still works after a timeout.
    uint8_t one = 42;
    ASSERT_TRUE(server_side->write_all({&one, 1}).is_ok());
    Result<size_t> n = c->read_some(buf, sec_to_ns(5));
    ASSERT_TRUE(n.is_ok());
    EXPECT_EQ(*n, 1u);
    EXPECT_EQ(buf[0], 42);
  });
  EXPECT_EQ(rt->run_for(kTestLimitNs), rt::Scheduler::RunResult::kQuiescent);
  EXPECT_EQ(status.code(), Code::kTimedOut) << status.to_string();
  EXPECT_GE(waited_ns, ms_to_ns(50));
  EXPECT_LT(waited_ns, sec_to_ns(5));
}

TEST(RealNet, CloseWakesBlockedReaderEvenIfStreamIsDestroyed) {
  auto rt = make_runtime();
  auto listener = listen_loopback(*rt);
  std::unique_ptr<io::Stream> server_side;
  std::unique_ptr<io::Stream> client;
  Status first, second;
  rt->group().spawn("server", [&] { server_side = std::move(listener->accept()).value(); });
  rt->group().spawn("client", [&] {
    client = std::move(rt->net().connect(listener->address())).value();
    rt->group().spawn("reader", [&, s = client.get()] {
      uint8_t buf[16];
      first = s->read_some(buf).status();
    });
    rt->clock().sleep_for(ms_to_ns(10));
    client->close();
    // A second reader on the closed stream fails at once.
    uint8_t buf[16];
    second = client->read_some(buf).status();
    // Destroyed before the woken reader runs: it must not touch the stream again.
    client.reset();
  });
  EXPECT_EQ(rt->run_for(kTestLimitNs), rt::Scheduler::RunResult::kQuiescent);
  EXPECT_EQ(first.code(), Code::kClosed) << first.to_string();
  EXPECT_EQ(second.code(), Code::kClosed) << second.to_string();
}

TEST(RealNet, PeerCloseGivesEofAfterPendingBytes) {
  auto rt = make_runtime();
  auto listener = listen_loopback(*rt);
  std::string got;
  bool eof = false;
  rt->group().spawn("server", [&] {
    auto s = std::move(listener->accept()).value();
    std::string hello = "bye now";
    ASSERT_TRUE(s->write_all({reinterpret_cast<const uint8_t*>(hello.data()), hello.size()}).is_ok());
    s->close();
  });
  rt->group().spawn("client", [&] {
    auto c = std::move(rt->net().connect(listener->address())).value();
    uint8_t buf[4];
    for (;;) {
      Result<size_t> n = c->read_some(buf, sec_to_ns(5));
      ASSERT_TRUE(n.is_ok()) << n.status().to_string();
      if (*n == 0) break;
      got.append(reinterpret_cast<char*>(buf), *n);
    }
    eof = true;
    // EOF stays EOF.
    EXPECT_EQ(*c->read_some(buf, sec_to_ns(1)), 0u);
  });
  EXPECT_EQ(rt->run_for(kTestLimitNs), rt::Scheduler::RunResult::kQuiescent);
  EXPECT_EQ(got, "bye now");
  EXPECT_TRUE(eof);
}

TEST(RealNet, WriteToResetPeerFailsWithoutSigpipe) {
  auto rt = make_runtime();
  auto listener = listen_loopback(*rt);
  Status status;
  rt->group().spawn("server", [&] {
    auto s = std::move(listener->accept()).value();
    s.reset();  // closes at once
  });
  rt->group().spawn("client", [&] {
    auto c = std::move(rt->net().connect(listener->address())).value();
    rt->clock().sleep_for(ms_to_ns(20));
    std::vector<uint8_t> chunk(64 * 1024, 1);
    // The first writes may be accepted by the kernel; the RST then fails a later one.
    for (int i = 0; i < 100 && status.is_ok(); i++) {
      status = c->write_all(chunk);
      rt->clock().sleep_for(ms_to_ns(1));
    }
  });
  EXPECT_EQ(rt->run_for(kTestLimitNs), rt::Scheduler::RunResult::kQuiescent);
  EXPECT_EQ(status.code(), Code::kConnectionReset) << status.to_string();
}

TEST(RealNet, ListenerCloseWakesAcceptor) {
  auto rt = make_runtime();
  auto listener = listen_loopback(*rt);
  Status status;
  rt->group().spawn("acceptor", [&] { status = listener->accept().status(); });
  rt->group().spawn("closer", [&] {
    rt->clock().sleep_for(ms_to_ns(5));
    listener->close();
  });
  EXPECT_EQ(rt->run_for(kTestLimitNs), rt::Scheduler::RunResult::kQuiescent);
  EXPECT_EQ(status.code(), Code::kClosed) << status.to_string();
  EXPECT_EQ(rt->driver().registered(), 0u);
}

TEST(RealNet, ListenTwiceOnOnePortFails) {
  auto rt = make_runtime();
  auto first = listen_loopback(*rt);
  Result<std::unique_ptr<io::Listener>> second = rt->net().listen(first->address());
  EXPECT_FALSE(second.is_ok());
  EXPECT_EQ(second.status().code(), Code::kAlreadyExists) << second.status().to_string();
}

TEST(RealNet, Ipv6AndHostNames) {
  auto rt = make_runtime();
  Result<std::unique_ptr<io::Listener>> l6 = rt->net().listen({"::1", 0});
  ASSERT_TRUE(l6.is_ok()) << l6.status().to_string();
  EXPECT_EQ((*l6)->address().host, "::1");
  auto l4 = listen_loopback(*rt);
  int accepted = 0;
  io::Address seen6, seen4;
  rt->group().spawn("accept6", [&] {
    auto s = std::move((*l6)->accept()).value();
    seen6 = s->peer();
    accepted++;
  });
  rt->group().spawn("accept4", [&] {
    auto s = std::move(l4->accept()).value();
    seen4 = s->peer();
    accepted++;
  });
  rt->group().spawn("client", [&] {
    auto c6 = rt->net().connect({"::1", (*l6)->address().port}, sec_to_ns(5));
    ASSERT_TRUE(c6.is_ok()) << c6.status().to_string();
    // "localhost" resolves (to 127.0.0.1 here, or ::1 first then 127.0.0.1).
    auto c4 = rt->net().connect({"localhost", l4->address().port}, sec_to_ns(5));
    ASSERT_TRUE(c4.is_ok()) << c4.status().to_string();
  });
  EXPECT_EQ(rt->run_for(kTestLimitNs), rt::Scheduler::RunResult::kQuiescent);
  EXPECT_EQ(accepted, 2);
  EXPECT_EQ(seen6.host, "::1");
  EXPECT_EQ(seen4.host, "127.0.0.1");
}

// A fiber that never blocks must not starve network events: the scheduler's periodic
// Driver::poll() delivers them even though the run queue never empties.
TEST(RealNet, BusyFibersDoNotStarveTheNetwork) {
  auto rt = make_runtime();
  auto listener = listen_loopback(*rt);
  rt::Event server_reading(rt->sched());
  bool received = false;
  uint64_t spins = 0;
  constexpr uint64_t kSpinsMax = 5'000'000;
  rt->group().spawn("server", [&] {
    auto s = std::move(listener->accept()).value();
    uint8_t buf[8];
    server_reading.set();
    // Parks on EAGAIN: only the reactor can wake it, and the run queue is never empty from here.
    ASSERT_TRUE(s->read_exact({buf, 5}, sec_to_ns(10)).is_ok());
    received = true;
  });
  rt->group().spawn("client", [&] {
    auto c = std::move(rt->net().connect(listener->address())).value();
    server_reading.wait();
    rt->group().spawn("spinner", [&] {
      while (!received && spins < kSpinsMax) {
        spins++;
        rt->sched().yield();
      }
    });
    std::string hello = "hello";
    ASSERT_TRUE(c->write_all({reinterpret_cast<const uint8_t*>(hello.data()), hello.size()}).is_ok());
    while (!received && spins < kSpinsMax) rt->sched().yield();
  });
  EXPECT_EQ(rt->run_for(kTestLimitNs), rt::Scheduler::RunResult::kQuiescent);
  EXPECT_TRUE(received);
  EXPECT_LT(spins, kSpinsMax);
}

}  // namespace
}  // namespace kz::real
