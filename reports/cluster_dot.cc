#include "reports/cluster_dot.h"

#include <fmt/format.h>

#include <map>
#include <vector>

namespace kz::reports {

namespace {

// A quoted Graphviz ID: quotes and backslashes escaped, line breaks as Graphviz's \n.
std::string dot_id(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string node_attrs(const NodeState& n, const std::string& name) {
  std::string label = name, style = "filled", fill = "#ffffff", color = "#333333", font = "#000000";
  std::string shape = n.server ? "ellipse" : "box";
  if (!n.up) {
    label += n.powered_off ? "\npowered off" : "\ncrashed";
    fill = "#9a9a9a";
    color = "#6b6b6b";
    font = "#3a3a3a";
  } else if (n.paused) {
    label += "\npaused";
    fill = "#dddddd";
    style = "filled,dashed";
  } else if (n.role == "leading" || n.role == "standalone") {
    label += n.role == "standalone" ? "\nstandalone" : fmt::format("\nleader e{}", n.epoch);
    fill = "#2e8b57";
    font = "#ffffff";
    color = "#14532d";
    style = "filled,bold";
  } else if (n.role == "following") {
    label += fmt::format("\nfollower e{}", n.epoch);
    fill = "#9cc3e6";
  } else if (n.role == "looking") {
    label += "\nlooking";
    fill = "#f2d16b";
  } else if (n.role == "up") {
    label += "\nup";
    fill = "#eeeeee";
  } else {
    fill = "#fdf6e3";
  }
  return fmt::format("label={} shape={} style={} fillcolor={} color={} fontcolor={}", dot_id(label), shape,
                     dot_id(style), dot_id(fill), dot_id(color), dot_id(font));
}

// Clients that reach every server the same way are drawn as one box ("7 clients"), so a picture
// of a big workload stays readable. `names` gets the box label of each representative.
ClusterState group_clients(const ClusterState& state, std::map<std::string, std::string>* names) {
  ClusterState out;
  out.cut = state.cut;
  std::map<std::string, std::vector<const NodeState*>> groups;  // reachability signature -> members
  std::vector<std::string> order;
  for (const NodeState& n : state.nodes) {
    (*names)[n.node] = n.node;
    if (n.server) {
      out.nodes.push_back(n);
      continue;
    }
    std::string sig = fmt::format("{}{}|", n.up ? 'u' : 'd', n.paused ? 'p' : '-');
    for (const NodeState& srv : state.nodes) {
      if (!srv.server) continue;
      sig += fmt::format("{}{}{},", srv.node, state.cut.count({n.node, srv.node}), state.cut.count({srv.node, n.node}));
    }
    if (!groups.count(sig)) order.push_back(sig);
    groups[sig].push_back(&n);
  }
  for (const std::string& sig : order) {
    const std::vector<const NodeState*>& members = groups[sig];
    out.nodes.push_back(*members.front());
    if (members.size() == 1) continue;
    std::string label = fmt::format("{} clients", members.size());
    if (members.size() <= 3) {
      for (const NodeState* m : members) label += "\n" + m->node;
    } else {
      label += fmt::format("\n{} ...\n{}", members.front()->node, members.back()->node);
    }
    (*names)[members.front()->node] = label;
  }
  return out;
}

}  // namespace

std::string cluster_dot(const ClusterState& full) {
  std::string out =
      "digraph cluster {\n  layout=circo; bgcolor=\"transparent\"; pad=0.2;\n"
      "  node [fontname=\"Helvetica\" fontsize=11 width=0.9];\n  edge [arrowsize=0.6];\n";
  std::map<std::string, std::string> names;
  ClusterState state = group_clients(full, &names);
  for (const NodeState& n : state.nodes)
    out += fmt::format("  {} [{}];\n", dot_id(n.node), node_attrs(n, names[n.node]));
  for (size_t i = 0; i < state.nodes.size(); i++) {
    for (size_t j = i + 1; j < state.nodes.size(); j++) {
      const NodeState& a = state.nodes[i];
      const NodeState& b = state.nodes[j];
      if (!a.server && !b.server) continue;  // clients talk to servers only
      if (!a.up || !b.up) continue;
      bool ab = state.reaches(a.node, b.node), ba = state.reaches(b.node, a.node);
      bool cut_ab = state.cut.count({a.node, b.node}) > 0, cut_ba = state.cut.count({b.node, a.node}) > 0;
      std::string edge = fmt::format("  {} -> {}", dot_id(a.node), dot_id(b.node));
      if (ab && ba) {
        out += edge + " [dir=none color=\"#555555\"];\n";
      } else if (ab || ba) {
        out += fmt::format("  {} -> {} [color=\"#d97706\" style=bold];\n", dot_id(ab ? a.node : b.node),
                           dot_id(ab ? b.node : a.node));
      } else if (cut_ab || cut_ba) {
        out += edge + " [dir=none color=\"#dc2626\" style=dotted];\n";
      }
    }
  }
  return out + "}\n";
}

std::vector<std::string> split_svgs(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  for (;;) {
    size_t end = text.find("</svg>", pos);
    if (end == std::string::npos) break;
    out.push_back(text.substr(pos, end + 6 - pos));
    pos = end + 6;
  }
  return out;
}

std::string inline_svg(const std::string& svg, const std::string& id_prefix) {
  size_t start = svg.find("<svg");
  if (start == std::string::npos) return {};
  std::string body = svg.substr(start);
  std::string out;
  out.reserve(body.size());
  size_t i = 0;
  while (i < body.size()) {
    if (body.compare(i, 4, "<!--") == 0) {
      size_t end = body.find("-->", i);
      i = end == std::string::npos ? body.size() : end + 3;
      continue;
    }
    if (body.compare(i, 7, " xmlns=") == 0 || body.compare(i, 13, " xmlns:xlink=") == 0) {
      size_t q1 = body.find('"', i);
      size_t q2 = q1 == std::string::npos ? std::string::npos : body.find('"', q1 + 1);
      if (q2 != std::string::npos) {
        i = q2 + 1;
        continue;
      }
    }
    if (body.compare(i, 5, " id=\"") == 0) {
      out += " id=\"" + id_prefix;
      i += 5;
      continue;
    }
    out += body[i++];
  }
  return out;
}

}  // namespace kz::reports
