// The run report's pure parts: the timeline model built from cluster events, op selection, the
// Graphviz source, HTML escaping and the rendered page (witness highlighting, missing dot).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "reports/cluster_dot.h"
#include "reports/explore_index.h"
#include "reports/html.h"
#include "reports/run_report.h"
#include "reports/svg_timeline.h"
#include "reports/timeline.h"

namespace kz::reports {
namespace {

constexpr int64_t kMs = 1'000'000;

Event ev(int64_t ms, std::string node, std::string kind, nlohmann::json fields = nlohmann::json::object()) {
  return Event{ms * kMs, std::move(node), std::move(kind), std::move(fields)};
}

Op op(uint64_t id, std::string process, int64_t invoke_ms, int64_t done_ms, std::string type,
      nlohmann::json args = {{"key", 1}}) {
  Op o;
  o.id = id;
  o.process = std::move(process);
  o.f = "cas";
  o.invoke_ns = invoke_ms * kMs;
  o.complete_ns = done_ms * kMs;
  o.type = std::move(type);
  o.args = std::move(args);
  return o;
}

RunData three_servers(std::vector<Event> events) {
  RunData run;
  run.summary = {
      {"scenario", "t"}, {"seed", 1}, {"result", "pass"}, {"sim_ms", 20}, {"checks", nlohmann::json::array()}};
  run.events = std::move(events);
  run.ops = {op(1, "c1", 0, 1, "ok")};
  run.end_ns = 20 * kMs;
  return run;
}

const NodeLane& lane(const Timeline& t, const std::string& node) {
  for (const NodeLane& l : t.lanes) {
    if (l.node == node) return l;
  }
  ADD_FAILURE() << "no lane " << node;
  static NodeLane none;
  return none;
}

bool has_span(const std::vector<Span>& spans, int64_t begin_ms, int64_t end_ms, const std::string& kind) {
  for (const Span& s : spans) {
    if (s.begin_ns == begin_ms * kMs && s.end_ns == end_ms * kMs && s.kind == kind) return true;
  }
  return false;
}

TEST(ReportTimeline, CrashThenRestartGivesADownInterval) {
  RunData run = three_servers({
      ev(1, "zk1", "leader_elected", {{"role", "zk"}, {"epoch", 1}, {"leader", 1}}),
      ev(1, "zk2", "following", {{"epoch", 1}, {"leader", 1}}),
      ev(5, "zk1", "node_crash"),
      ev(8, "zk1", "node_restart", {{"incarnation", 2}}),
      ev(9, "zk1", "looking", {{"epoch", 1}, {"reason", "boot"}}),
      ev(10, "zk1", "following", {{"epoch", 2}, {"leader", 2}}),
  });
  Timeline t = build_timeline(run, 50);
  ASSERT_EQ(t.servers, (std::vector<std::string>{"zk1", "zk2"}));
  EXPECT_EQ(t.clients, (std::vector<std::string>{"c1"}));
  const NodeLane& zk1 = lane(t, "zk1");
  EXPECT_TRUE(has_span(zk1.state, 0, 1, "up"));
  EXPECT_TRUE(has_span(zk1.state, 1, 5, "leading"));
  EXPECT_TRUE(has_span(zk1.state, 5, 8, "crashed"));
  EXPECT_TRUE(has_span(zk1.state, 8, 9, "up"));
  EXPECT_TRUE(has_span(zk1.state, 9, 10, "looking"));
  EXPECT_TRUE(has_span(zk1.state, 10, 20, "following"));
  ASSERT_EQ(zk1.marks.size(), 1u);
  EXPECT_EQ(zk1.marks[0].kind, "restart");
  // Moments: start and the election; the crashed picture shows zk1 down only between 5 and 8.
  ASSERT_GE(t.moments.size(), 2u);
  EXPECT_EQ(t.moments[0].title, "start");
  EXPECT_NE(t.moments[1].title.find("zk1 elected leader, epoch 1"), std::string::npos);
  EXPECT_EQ(t.moments[1].state.find("zk1")->role, "leading");
  std::string dot = cluster_dot(t.moments[1].state);
  EXPECT_NE(dot.find("label=\"zk1\\nleader e1\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("label=\"zk2\\nfollower e1\""), std::string::npos) << dot;
}

TEST(ReportTimeline, PowerOffIsItsOwnState) {
  RunData run = three_servers({ev(2, "zk1", "node_power_off"), ev(6, "zk1", "node_restart")});
  Timeline t = build_timeline(run, 50);
  EXPECT_TRUE(has_span(lane(t, "zk1").state, 2, 6, "powered-off"));
}

TEST(ReportTimeline, PartitionIntervalsAndWhoIsCutOff) {
  RunData run = three_servers({
      ev(1, "zk1", "looking"),
      ev(1, "zk2", "looking"),
      ev(1, "zk3", "looking"),
      ev(2, "testbed", "fault",
         {{"kind", "partition"}, {"target", "zk1"}, {"nodes", "zk1"}, {"duration_ms", 2}, {"params", {}}}),
      ev(2, "testbed", "partition_sides", {{"kind", "partition"}, {"a", "zk1"}, {"b", "c1,zk2,zk3"}}),
      ev(4, "testbed", "fault_healed", {{"kind", "partition"}, {"nodes", "zk1"}}),
  });
  Timeline t = build_timeline(run, 50);
  ASSERT_EQ(t.network.size(), 1u);
  EXPECT_EQ(t.network[0].begin_ns, 2 * kMs);
  EXPECT_EQ(t.network[0].end_ns, 4 * kMs);
  EXPECT_EQ(t.network[0].label, "partition: zk1 | c1,zk2,zk3 for 2 ms");
  EXPECT_EQ(t.fault_spans[0].label, "partition: zk1 | c1,zk2,zk3 for 2 ms");
  ASSERT_EQ(lane(t, "zk1").net.size(), 1u);
  EXPECT_EQ(lane(t, "zk1").net[0].label, "cut off from zk2, zk3, c1");
  EXPECT_TRUE(has_span(lane(t, "zk2").net, 2, 4, "cut"));
  EXPECT_EQ(lane(t, "zk2").net[0].label, "cut off from zk1");
  EXPECT_TRUE(has_span(lane(t, "c1").net, 2, 4, "cut"));
  ASSERT_EQ(t.fault_spans.size(), 1u);
  EXPECT_EQ(t.fault_spans[0].end_ns, 4 * kMs);
  // The picture at the fault: zk1 cannot reach anyone, zk2 and zk3 reach each other.
  const Moment* at_fault = nullptr;
  for (const Moment& m : t.moments) {
    if (m.time_ns == 2 * kMs) at_fault = &m;
  }
  ASSERT_NE(at_fault, nullptr);
  EXPECT_FALSE(at_fault->state.reaches("zk1", "zk2"));
  EXPECT_FALSE(at_fault->state.reaches("zk3", "zk1"));
  EXPECT_TRUE(at_fault->state.reaches("zk2", "zk3"));
  std::string dot = cluster_dot(at_fault->state);
  EXPECT_NE(dot.find("\"zk1\" -> \"zk2\" [dir=none color=\"#dc2626\" style=dotted]"), std::string::npos) << dot;
  EXPECT_NE(dot.find("\"zk2\" -> \"zk3\" [dir=none color=\"#555555\"]"), std::string::npos) << dot;
}

TEST(ReportTimeline, OneWayPartitionCutsOneDirection) {
  RunData run = three_servers({
      ev(1, "zk1", "looking"),
      ev(1, "zk2", "looking"),
      ev(2, "testbed", "fault", {{"kind", "partition-one-way"}, {"nodes", "zk1"}, {"duration_ms", 0}}),
  });
  Timeline t = build_timeline(run, 50);
  const ClusterState& s = t.moments.back().state;
  EXPECT_FALSE(s.reaches("zk1", "zk2"));
  EXPECT_TRUE(s.reaches("zk2", "zk1"));
  EXPECT_NE(cluster_dot(s).find("\"zk2\" -> \"zk1\" [color=\"#d97706\""), std::string::npos);
  // No heal and no final heal: the cut lasts to the end of the run.
  EXPECT_TRUE(has_span(t.network, 2, 20, "partition"));
}

TEST(ReportTimeline, BridgeReachesBothSides) {
  RunData run = three_servers({
      ev(1, "zk1", "looking"),
      ev(1, "zk2", "looking"),
      ev(1, "zk3", "looking"),
      ev(2, "testbed", "fault", {{"kind", "bridge"}, {"nodes", "zk2,zk1"}, {"duration_ms", 0}}),
      ev(2, "testbed", "partition_sides", {{"kind", "bridge"}, {"a", "zk2,zk1"}, {"b", "c1,zk3"}}),
  });
  Timeline t = build_timeline(run, 50);
  const Moment& m = t.moments.back();
  EXPECT_EQ(m.title, "fault: bridge: zk1 | c1,zk3 (bridge zk2 reaches both)");
  EXPECT_TRUE(m.state.reaches("zk2", "zk1"));
  EXPECT_TRUE(m.state.reaches("zk2", "zk3"));
  EXPECT_FALSE(m.state.reaches("zk1", "zk3"));
  EXPECT_FALSE(m.state.reaches("c1", "zk1"));
  EXPECT_TRUE(lane(t, "zk2").net.empty());
  EXPECT_EQ(lane(t, "zk1").net[0].label, "cut off from zk3, c1");
}

TEST(ReportDot, ClientsThatReachTheSameServersShareABox) {
  ClusterState s;
  for (std::string n : {"zk1", "zk2"}) s.nodes.push_back(NodeState{.node = n});
  for (std::string n : {"c1", "c2", "c3", "c4", "c5"})
    s.nodes.push_back(NodeState{.node = n, .server = false, .role = "client"});
  s.cut = {{"c5", "zk1"}, {"zk1", "c5"}};
  std::string dot = cluster_dot(s);
  EXPECT_NE(dot.find("label=\"4 clients\\nc1 ...\\nc4\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("\"c5\" [label=\"c5\""), std::string::npos) << dot;  // cut off from zk1: its own box
  EXPECT_EQ(dot.find("\"c2\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("\"zk1\" -> \"c5\" [dir=none color=\"#dc2626\" style=dotted]"), std::string::npos) << dot;
}

TEST(ReportTimeline, PauseDiskAndClockFaults) {
  RunData run = three_servers({
      ev(1, "zk1", "looking"),
      ev(2, "testbed", "fault", {{"kind", "pause"}, {"nodes", "zk1"}, {"duration_ms", 3}}),
      ev(3, "testbed", "fault", {{"kind", "disk-full"}, {"nodes", "zk2"}, {"duration_ms", 0}}),
      ev(4, "testbed", "fault",
         {{"kind", "clock-jump"}, {"nodes", "zk2"}, {"duration_ms", 0}, {"params", {{"delta_ms", 5000}}}}),
      ev(5, "testbed", "fault_healed", {{"kind", "pause"}, {"nodes", "zk1"}}),
      ev(12, "testbed", "final_heal"),
  });
  Timeline t = build_timeline(run, 50);
  EXPECT_TRUE(has_span(lane(t, "zk1").state, 2, 5, "paused"));
  EXPECT_TRUE(has_span(lane(t, "zk2").faults, 3, 12, "disk"));  // until the final heal
  ASSERT_EQ(lane(t, "zk2").marks.size(), 1u);
  EXPECT_EQ(lane(t, "zk2").marks[0].kind, "clock");
  EXPECT_NE(lane(t, "zk2").marks[0].label.find("delta_ms=5000"), std::string::npos);
  EXPECT_EQ(t.final_heal_ns, 12 * kMs);
  EXPECT_EQ(t.moments.back().title, "final heal");
}

TEST(ReportTimeline, MomentsAreThinnedKeepingFirstAndLast) {
  std::vector<Event> events;
  for (int i = 1; i <= 40; i++) events.push_back(ev(i, "zk1", "leader_elected", {{"epoch", i}}));
  RunData run = three_servers(events);
  run.end_ns = 50 * kMs;
  Timeline t = build_timeline(run, 10);
  EXPECT_EQ(t.moments_total, 41u);
  ASSERT_EQ(t.moments.size(), 10u);
  EXPECT_EQ(t.moments.front().title, "start");
  EXPECT_EQ(t.moments.back().time_ns, 40 * kMs);
}

TEST(ReportOps, CapKeepsWitnessesAndSaysSo) {
  std::vector<Op> ops;
  for (uint64_t i = 1; i <= 10000; i++) ops.push_back(op(i, "c1", 0, 1, i % 50 == 0 ? "info" : "ok"));
  OpSelection sel = select_ops(ops, {7777}, 100);
  EXPECT_EQ(sel.total, 10000u);
  EXPECT_EQ(sel.drawn.size(), 100u);
  bool has_witness = false;
  size_t info = 0;
  for (const Op* o : sel.drawn) {
    has_witness |= o->id == 7777;
    info += o->type == "info";
  }
  EXPECT_TRUE(has_witness);
  EXPECT_GE(info, 40u);  // the unusual outcomes get half the budget
  EXPECT_NE(sel.note.find("10000 operations"), std::string::npos);
  EXPECT_TRUE(select_ops(ops, {}, 20000).note.empty());
}

TEST(ReportHtml, EscapesValues) {
  EXPECT_EQ(html_escape("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
  RunData run = three_servers({});
  run.ops = {op(1, "c1", 0, 2, "ok", {{"v", "<script>alert(1)</script>"}})};
  run.scenario_text = "name = \"</pre><b>\"";
  std::string html = render_run_report(run, ReportOptions{}, nullptr);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(html.find("</pre><b>"), std::string::npos);
  EXPECT_NE(html.find("Cluster pictures unavailable"), std::string::npos);
}

RunData failing_run() {
  RunData run = three_servers({ev(1, "zk1", "zk_serving", {{"role", "standalone"}})});
  run.ops = {op(1, "c1", 0, 2, "ok"), op(2, "c2", 1, 3, "ok"), op(3, "c1", 4, 5, "fail"), op(4, "c2", 6, 7, "ok")};
  run.summary["result"] = "fail";
  run.summary["checks"] = nlohmann::json::array({{{"checker", "no-lost-writes"},
                                                  {"ok", false},
                                                  {"message", "write op 2 was lost"},
                                                  {"witness", nlohmann::json::array({{{"op", 2}}, {{"op", 4}}})},
                                                  {"witness_ops", {2, 4}}},
                                                 {{"checker", "liveness"}, {"ok", true}, {"message", "fine"}}});
  return run;
}

TEST(ReportHtml, FailingRunHighlightsWitnessOps) {
  RunData run = failing_run();
  EXPECT_EQ(witness_op_ids(run.summary), (std::vector<uint64_t>{2, 4}));
  int dot_calls = 0;
  DotRenderer dot = [&](const std::string& source) -> Result<std::string> {
    dot_calls++;
    std::string out;
    for (size_t at = source.find("digraph"); at != std::string::npos; at = source.find("digraph", at + 1)) {
      out += "<?xml version=\"1.0\"?>\n<!-- c -->\n<svg xmlns=\"http://www.w3.org/2000/svg\"><g id=\"a\"/></svg>\n";
    }
    return out;
  };
  std::string html = render_run_report(run, ReportOptions{.run_dir = "/tmp/r"}, dot);
  EXPECT_NE(html.find("<b>FAIL</b>"), std::string::npos);
  EXPECT_NE(html.find("write op 2 was lost"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"witness\"><td>2</td>"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"witness\"><td>4</td>"), std::string::npos);
  EXPECT_EQ(html.find("<tr class=\"witness\"><td>3</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>no-lost-writes</td></tr>"), std::string::npos);  // which check blames the op
  EXPECT_NE(html.find("class=\"op ok witness\""), std::string::npos);
  EXPECT_NE(html.find("class=\"op fail\""), std::string::npos);
  EXPECT_NE(html.find("WITNESS op 2 by c2"), std::string::npos);
  EXPECT_NE(html.find("kz sim replay /tmp/r<"), std::string::npos);
  EXPECT_NE(
      render_run_report(run, ReportOptions{.run_dir = "/tmp/a b"}, nullptr).find("kz sim replay &#39;/tmp/a b&#39;"),
      std::string::npos);
  EXPECT_EQ(dot_calls, 1);                                                 // one dot process draws every picture
  EXPECT_NE(html.find("<svg><g id=\"m0_a\"/></svg>"), std::string::npos);  // start
  EXPECT_NE(html.find("<svg><g id=\"m1_a\"/></svg>"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
}

TEST(ReportHtml, WitnessIdsFallBackToTheWitnessExcerpt) {
  nlohmann::json summary = failing_run().summary;
  summary["checks"][0].erase("witness_ops");
  EXPECT_EQ(witness_op_ids(summary), (std::vector<uint64_t>{2, 4}));
  summary["checks"][0]["witness"] = {{"attempts", nlohmann::json::array({{{"op", 9}}})}};
  EXPECT_EQ(witness_op_ids(summary), (std::vector<uint64_t>{9}));
}

TEST(ReportHtml, DotFailureLeavesTheRestOfThePage) {
  RunData run = failing_run();
  std::string html = render_run_report(run, ReportOptions{}, [](const std::string&) -> Result<std::string> {
    return Status(Code::kNotFound, "dot not found on PATH");
  });
  EXPECT_NE(html.find("Cluster pictures unavailable</b>: dot not found on PATH"), std::string::npos);
  EXPECT_NE(html.find("id=\"timeline\""), std::string::npos);
}

TEST(ReportParse, MalformedLinesNameTheFileAndLine) {
  Result<std::vector<Event>> events =
      parse_events_jsonl("{\"time_ns\":1,\"node\":\"a\",\"kind\":\"k\"}\nnot json\n", "events.jsonl");
  ASSERT_FALSE(events.is_ok());
  EXPECT_NE(events.status().message().find("events.jsonl:2"), std::string::npos);
  Result<std::vector<Op>> ops =
      parse_history_jsonl("{\"op\":1,\"time_ns\":5,\"type\":\"weird\"}\n", "history.jsonl", nullptr);
  ASSERT_FALSE(ops.is_ok());
  EXPECT_NE(ops.status().message().find("history.jsonl:1: unknown type 'weird'"), std::string::npos);
  size_t entries = 0;
  Result<std::vector<Op>> good = parse_history_jsonl(
      "{\"op\":1,\"time_ns\":5,\"type\":\"invoke\",\"process\":\"c1\",\"f\":\"read\",\"value\":{\"key\":1}}\n"
      "{\"op\":1,\"time_ns\":9,\"type\":\"ok\",\"process\":\"c1\",\"f\":\"read\",\"value\":{\"version\":3}}\n"
      "{\"op\":2,\"time_ns\":7,\"type\":\"invoke\",\"process\":\"c2\",\"f\":\"cas\"}\n",
      "history.jsonl", &entries);
  ASSERT_TRUE(good.is_ok()) << good.status().to_string();
  EXPECT_EQ(entries, 3u);
  ASSERT_EQ(good->size(), 2u);
  EXPECT_EQ((*good)[0].complete_ns, 9);
  EXPECT_EQ((*good)[0].result["version"], 3);
  EXPECT_EQ((*good)[1].type, "pending");
  EXPECT_FALSE(parse_run("[1]", "", "", "").is_ok());
}

TEST(ReportDot, InlineSvgStripsPrologAndNamespaces) {
  std::string svg = inline_svg(
      "<?xml version=\"1.0\"?>\n<!DOCTYPE svg>\n<svg width=\"1\" xmlns=\"http://www.w3.org/2000/svg\" "
      "xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n<!-- node -->\n<g id=\"node1\" class=\"node\"/></svg>",
      "p3_");
  EXPECT_EQ(svg, "<svg width=\"1\">\n\n<g id=\"p3_node1\" class=\"node\"/></svg>");
  EXPECT_EQ(inline_svg("no picture", "x"), "");
}

TEST(ReportOrder, NaturalOrder) {
  EXPECT_TRUE(natural_less("zk2", "zk10"));
  EXPECT_FALSE(natural_less("zk10", "zk2"));
  EXPECT_TRUE(natural_less("c1", "zk1"));
  EXPECT_FALSE(natural_less("zk1", "zk1"));
}

TEST(ReportExplore, IndexHasOneRowPerSeedWithLinks) {
  nlohmann::json explore = {
      {"scenario", "s<1>"},
      {"seeds", "1..2"},
      {"runs", 2},
      {"passed", 1},
      {"failed", 1},
      {"result", "fail"},
      {"failures", {{{"seed", 2}, {"report", "seed-2/report.html"}}}},
      {"results", nlohmann::json::array(
                      {{{"seed", 2},
                        {"result", "fail"},
                        {"run_dir", "/tmp/x/seed-2"},
                        {"sim_ms", 31000},
                        {"checks", {{{"checker", "no-lost-writes"}, {"ok", false}, {"message", "lost <w>"}}}}},
                       {{"seed", 1}, {"result", "pass"}, {"sim_ms", 30000}, {"checks", nlohmann::json::array()}}})}};
  std::string html = render_explore_index(explore);
  size_t one = html.find("<td>1</td>"), two = html.find("<td>2</td>");
  ASSERT_NE(one, std::string::npos);
  ASSERT_NE(two, std::string::npos);
  EXPECT_LT(one, two);  // sorted by seed
  EXPECT_NE(html.find("href=\"seed-2/report.html\""), std::string::npos);
  EXPECT_EQ(html.find("href=\"seed-1/report.html\""), std::string::npos);  // passing: no report drawn
  EXPECT_EQ(html.find("href=\"seed-1/\""), std::string::npos);  // passing: its run directory was removed
  EXPECT_NE(html.find("href=\"seed-2/\""), std::string::npos);
  EXPECT_NE(html.find("<td>no-lost-writes</td><td>lost &lt;w&gt;</td><td>31000 ms</td>"), std::string::npos);
  EXPECT_NE(html.find("s&lt;1&gt;"), std::string::npos);
  // With --keep-passing the passing rows carry their run directory and link it.
  explore["results"][1]["run_dir"] = "/tmp/x/seed-1";
  EXPECT_NE(render_explore_index(explore).find("href=\"seed-1/\""), std::string::npos);
}

}  // namespace
}  // namespace kz::reports
